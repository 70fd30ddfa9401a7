/* Initiatives and quartiers on a Leaflet map. The page always carries the same
   information as a list; without tiles (no tile URL set, or no network) the markers and
   outlines still show. The shapes and markers are not Tab stops (the list beside the map
   is the way in by keyboard); the zoom buttons answer Enter and Space. */
(function () {
  "use strict";
  var element = document.getElementById("carte");
  if (!element || typeof L === "undefined") { return; }
  function read(id) {
    var node = document.getElementById(id);
    var value = node ? JSON.parse(node.textContent) : null;
    return Array.isArray(value) ? value : [];
  }
  var points = read("carte-donnees");
  var areas = read("carte-zones");
  if (!points.length && !areas.length) { return; }
  var map = L.map(element, { zoomControl: false, scrollWheelZoom: false });
  L.control.zoom({ zoomInTitle: element.dataset.zoomIn, zoomOutTitle: element.dataset.zoomOut }).addTo(map);
  // Leaflet draws its zoom buttons as links with the button role: Space presses them too.
  element.querySelectorAll(".leaflet-control-zoom a").forEach(function (button) {
    button.addEventListener("keydown", function (event) {
      if (event.key === " ") {
        event.preventDefault();
        button.click();
      }
    });
  });
  if (element.dataset.tiles) {
    L.tileLayer(element.dataset.tiles, { maxZoom: 19, attribution: element.dataset.attribution || "" }).addTo(map);
  }
  map.attributionControl.setPrefix(false);
  function link(url, title) {
    var anchor = document.createElement("a");
    anchor.href = url;
    anchor.textContent = title;
    return anchor;
  }
  var bounds = L.latLngBounds([]);
  areas.forEach(function (area) {
    var layer = L.geoJSON(area.outline, {
      style: { color: "#07443f", weight: 2, fillColor: "#8fd3cb", fillOpacity: 0.35 }
    }).addTo(map);
    layer.bindPopup(link(area.url, area.title));
    layer.bindTooltip(area.title, { sticky: true });
    bounds.extend(layer.getBounds());
  });
  points.forEach(function (point) {
    var marker = L.circleMarker([point.lat, point.lng], {
      radius: 9, color: "#07443f", weight: 2, fillColor: "#f4c95d", fillOpacity: 0.95
    }).addTo(map);
    marker.bindPopup(link("/initiatives/" + point.id + "/", point.title));
    bounds.extend([point.lat, point.lng]);
  });
  if (points.length === 1 && !areas.length) {
    map.setView([points[0].lat, points[0].lng], 16);
  } else {
    map.fitBounds(bounds, { padding: [24, 24], maxZoom: 16 });
  }
})();
