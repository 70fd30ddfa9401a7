/* The site's Leaflet maps.

   « #carte » shows initiatives and quartiers. The page always carries the same
   information as a list; without tiles (no tile URL set, or no network) the commune's
   background layer, when it gave one, and the markers and outlines still show. Markers
   close together gather into a cluster that a click opens. The shapes, markers and
   clusters are not Tab stops (the list beside the map is the way in by keyboard).

   « #carte-lieu » picks the place of an initiative in the submission form: a click or a
   tap places it, Enter places it at the centre of the map (moved with the arrow keys),
   and the latitude and longitude fields below, which it fills, stay the way to type it.

   On both, the zoom buttons answer Enter and Space. */
(function () {
  "use strict";
  if (typeof L === "undefined") { return; }
  if (L.MarkerCluster) { L.MarkerCluster.mergeOptions({ keyboard: false }); }

  var INK = "#07443f";
  var BACKGROUND = {
    water: { stroke: false, fillColor: "#9cc9e3", fillOpacity: 1 },
    park: { stroke: false, fillColor: "#cde6c1", fillOpacity: 1 },
    railway: { color: "#7a7f85", weight: 2, dashArray: "7 5" },
    main_road: { color: "#ffffff", weight: 7 },
    road: { color: "#ffffff", weight: 4 }
  };

  function read(id) {
    var node = document.getElementById(id);
    var value = node ? JSON.parse(node.textContent) : null;
    return Array.isArray(value) ? value : [];
  }

  function baseMap(element, options) {
    var map = L.map(element, L.extend({ zoomControl: false, scrollWheelZoom: false, maxZoom: 19 }, options));
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
    return map;
  }

  // The commune's own drawing, under everything else; calls back with its bounds.
  function drawBackground(map, element, drawn) {
    var url = element.dataset.background;
    if (!url) { return; }
    element.classList.add("map--drawn");
    map.createPane("fond").style.zIndex = 250;
    fetch(url, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (drawing) {
        if (!drawing) { return; }
        var layer = L.geoJSON(drawing, {
          pane: "fond",
          interactive: false,
          style: function (feature) { return BACKGROUND[feature.properties.kind] || BACKGROUND.road; }
        }).addTo(map);
        if (drawn) { drawn(layer.getBounds()); }
      })
      .catch(function () { /* the map stays usable without its background */ });
  }

  function marker(latLng) {
    return L.marker(latLng, {
      keyboard: false,
      icon: L.divIcon({ className: "map-marker", iconSize: [20, 20] })
    });
  }

  function link(url, title) {
    var anchor = document.createElement("a");
    anchor.href = url;
    anchor.textContent = title;
    return anchor;
  }

  function showInitiatives(element) {
    var points = read("carte-donnees");
    var areas = read("carte-zones");
    if (!points.length && !areas.length) { return; }
    var map = baseMap(element, {});
    drawBackground(map, element);
    var bounds = L.latLngBounds([]);
    areas.forEach(function (area) {
      var layer = L.geoJSON(area.outline, {
        style: { color: INK, weight: 2, fillColor: "#8fd3cb", fillOpacity: 0.35 }
      }).addTo(map);
      layer.bindPopup(link(area.url, area.title));
      layer.bindTooltip(area.title, { sticky: true });
      bounds.extend(layer.getBounds());
    });
    var group = L.markerClusterGroup ? L.markerClusterGroup({
      showCoverageOnHover: false,
      maxClusterRadius: 48,
      iconCreateFunction: function (cluster) {
        return L.divIcon({
          className: "map-cluster",
          html: "<span>" + cluster.getChildCount() + "</span>",
          iconSize: [40, 40]
        });
      }
    }) : L.layerGroup();
    points.forEach(function (point) {
      group.addLayer(marker([point.lat, point.lng]).bindPopup(link("/initiatives/" + point.id + "/", point.title)));
      bounds.extend([point.lat, point.lng]);
    });
    if (points.length === 1 && !areas.length) {
      map.setView([points[0].lat, points[0].lng], 16);
    } else {
      map.fitBounds(bounds, { padding: [24, 24], maxZoom: 16 });
    }
    // The clusters are computed for the map's view: it is set first.
    group.addTo(map);
  }

  function pickPlace(element) {
    var latitude = document.getElementById(element.dataset.latitude);
    var longitude = document.getElementById(element.dataset.longitude);
    var status = document.getElementById(element.dataset.status);
    if (!latitude || !longitude) { return; }
    var map = baseMap(element, { keyboard: true });
    var outline = read("carte-lieu-zone");
    var framed = false;
    var placed = null;
    function typed(input) {
      var value = parseFloat(String(input.value).replace(",", "."));
      return isFinite(value) ? value : null;
    }
    function show(latLng) {
      if (placed) {
        placed.setLatLng(latLng);
      } else {
        placed = marker(latLng).addTo(map);
      }
    }
    function place(latLng) {
      latitude.value = latLng.lat.toFixed(6);
      longitude.value = latLng.lng.toFixed(6);
      show(latLng);
      if (status) {
        status.textContent = element.dataset.placed
          .replace("%(lat)s", latitude.value.replace(".", element.dataset.decimal))
          .replace("%(lng)s", longitude.value.replace(".", element.dataset.decimal));
      }
    }
    var zone = outline.length ? L.geoJSON(outline[0], {
      interactive: false,
      style: { color: INK, weight: 2, fillColor: "#8fd3cb", fillOpacity: 0.2 }
    }).addTo(map) : null;
    var lat = typed(latitude);
    var lng = typed(longitude);
    if (lat !== null && lng !== null && Math.abs(lat) <= 90 && Math.abs(lng) <= 180) {
      show([lat, lng]);
      map.setView([lat, lng], 15);
      framed = true;
    } else if (zone) {
      map.fitBounds(zone.getBounds(), { padding: [16, 16] });
      framed = true;
    } else {
      map.setView([46.6, 2.4], 5);
    }
    drawBackground(map, element, function (bounds) {
      if (!framed && bounds.isValid()) { map.fitBounds(bounds); }
    });
    map.on("click", function (event) { place(event.latlng); });
    // The centre is marked while the map is used from the keyboard.
    element.addEventListener("pointerdown", function () { element.classList.remove("map--keyboard"); });
    element.addEventListener("keydown", function (event) {
      if (event.target === element) { element.classList.add("map--keyboard"); }
      if (event.key === "Enter" && event.target === element) {
        event.preventDefault();
        place(map.getCenter());
      }
    });
    [latitude, longitude].forEach(function (input) {
      input.addEventListener("change", function () {
        var a = typed(latitude);
        var b = typed(longitude);
        if (a !== null && b !== null && Math.abs(a) <= 90 && Math.abs(b) <= 180) {
          show([a, b]);
          map.panTo([a, b]);
        }
      });
    });
  }

  var initiatives = document.getElementById("carte");
  if (initiatives) { showInitiatives(initiatives); }
  var picker = document.getElementById("carte-lieu");
  if (picker) { pickPlace(picker); }
})();
