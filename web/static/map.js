// The map: markers coloured by alert colour, grouped into counted circles where they crowd at the current zoom,
// a click opening the project's card. Tiles only when configured; otherwise the units' outlines on a plain ground.
(function () {
  var el = document.getElementById("map");
  if (!el || !window.L) { return; }
  var map = L.map(el).setView([30.25, 120.16], 11);
  map.attributionControl.setPrefix("Leaflet");
  if (el.dataset.tiles) { L.tileLayer(el.dataset.tiles, { attribution: el.dataset.attribution, maxZoom: 18 }).addTo(map); }
  var colours = { red: "#c62828", yellow: "#f9a825", blue: "#1565c0" };
  var layer = L.layerGroup().addTo(map);
  var projects = [];
  fetch("/map/outlines").then(function (r) { return r.json(); }).then(function (outlines) {
    if (outlines.features && outlines.features.length) {
      L.geoJSON(outlines, { style: { color: "#546e7a", weight: 1, fillOpacity: 0.05 },
        onEachFeature: function (f, l) { if (f.properties && f.properties.name) { l.bindTooltip(f.properties.name); } } }).addTo(map);
    }
  });
  function card(p) {
    var div = document.createElement("div");
    var title = document.createElement("a");
    title.href = "/console/projects/" + p.id; title.textContent = p.name + "（" + p.code + "）";
    div.appendChild(title);
    [p.unit || "", "年度计划 " + p.plan + " 万元，已完成 " + p.ytd + " 万元"].concat(p.alerts).forEach(function (line) {
      var row = document.createElement("div"); row.textContent = line; div.appendChild(row);
    });
    return div;
  }
  function draw() {
    layer.clearLayers();
    var cells = {};
    projects.forEach(function (p) {
      var at = map.latLngToLayerPoint([p.lat, p.lng]);
      var key = Math.floor(at.x / 40) + ":" + Math.floor(at.y / 40);
      (cells[key] = cells[key] || []).push(p);
    });
    Object.keys(cells).forEach(function (key) {
      var group = cells[key];
      if (group.length === 1 || map.getZoom() >= 16) {
        group.forEach(function (p) {
          L.circleMarker([p.lat, p.lng], { radius: 8, color: "#fff", weight: 2, fillColor: colours[p.colour] || "#777",
            fillOpacity: 0.95, className: "marker marker-" + p.colour }).bindPopup(card(p)).addTo(layer);
        });
      } else {
        var lat = 0, lng = 0;
        group.forEach(function (p) { lat += p.lat; lng += p.lng; });
        var reds = group.filter(function (p) { return p.colour === "red"; }).length;
        L.marker([lat / group.length, lng / group.length], { icon: L.divIcon({ className: "cluster",
          html: String(group.length) + (reds ? "<sup>" + reds + "红</sup>" : ""), iconSize: [34, 34] }) })
          .on("click", function () { map.setView([lat / group.length, lng / group.length], map.getZoom() + 2); })
          .addTo(layer);
      }
    });
  }
  fetch("/map/data" + (el.dataset.query ? "?" + el.dataset.query : "")).then(function (r) { return r.json(); })
    .then(function (found) {
      projects = found;
      document.getElementById("map-count").textContent = "共 " + found.length + " 个项目（红 " +
        found.filter(function (p) { return p.colour === "red"; }).length + "，黄 " +
        found.filter(function (p) { return p.colour === "yellow"; }).length + "，蓝 " +
        found.filter(function (p) { return p.colour === "blue"; }).length + "）";
      if (found.length) { map.fitBounds(found.map(function (p) { return [p.lat, p.lng]; }), { padding: [30, 30] }); }
      draw();
      el.dataset.ready = "true";
    });
  map.on("zoomend", draw);
})();
