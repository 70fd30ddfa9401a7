/* Initiatives on a Leaflet map. The list on the page carries the same information;
   without tiles (no tile URL set, or no network) the markers still show. */
(function () {
  "use strict";
  var element = document.getElementById("carte");
  var data = document.getElementById("carte-donnees");
  if (!element || !data || typeof L === "undefined") { return; }
  var points = JSON.parse(data.textContent);
  if (!points.length) { return; }
  var map = L.map(element, { zoomControl: false, scrollWheelZoom: false });
  L.control.zoom({ zoomInTitle: element.dataset.zoomIn, zoomOutTitle: element.dataset.zoomOut }).addTo(map);
  if (element.dataset.tiles) {
    L.tileLayer(element.dataset.tiles, { maxZoom: 19, attribution: element.dataset.attribution || "" }).addTo(map);
  }
  map.attributionControl.setPrefix(false);
  var bounds = [];
  points.forEach(function (point) {
    var marker = L.circleMarker([point.lat, point.lng], {
      radius: 9, color: "#07443f", weight: 2, fillColor: "#f4c95d", fillOpacity: 0.95
    }).addTo(map);
    var link = document.createElement("a");
    link.href = "/initiatives/" + point.id + "/";
    link.textContent = point.title;
    marker.bindPopup(link);
    bounds.push([point.lat, point.lng]);
  });
  if (bounds.length === 1) { map.setView(bounds[0], 16); } else { map.fitBounds(bounds, { padding: [24, 24], maxZoom: 16 }); }
})();
