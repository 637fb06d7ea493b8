// Progressive enhancement only: every form works without it.
// Drafts: a form marked data-draft keeps what was typed in this browser until it is sent, so a dropped connection
// loses nothing. Location: a photo chosen with the phone's permission carries where it was taken.
(function () {
  document.querySelectorAll("form[data-draft]").forEach(function (form) {
    var key = "kp-draft-" + form.dataset.draft;
    var status = form.querySelector("[data-draft-status]");
    var saved = null;
    try { saved = JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { saved = null; }
    if (saved) {
      Object.keys(saved).forEach(function (name) {
        var field = form.elements[name];
        if (field && field.type !== "file" && field.type !== "hidden" && !field.value) { field.value = saved[name]; }
      });
      if (status) { status.textContent = "已恢复未提交的草稿"; }
    }
    form.addEventListener("input", function () {
      var data = {};
      Array.prototype.forEach.call(form.elements, function (field) {
        if (field.name && field.type !== "file" && field.type !== "hidden" && field.name !== "csrf") { data[field.name] = field.value; }
      });
      localStorage.setItem(key, JSON.stringify(data));
      if (status) { status.textContent = "草稿已保存在本机"; }
    });
    form.addEventListener("submit", function () { localStorage.removeItem(key); });
    var photos = form.querySelector("input[type=file]");
    var where = form.querySelector("#location");
    if (photos && where && navigator.geolocation) {
      photos.addEventListener("change", function () {
        navigator.geolocation.getCurrentPosition(function (p) {
          where.value = p.coords.latitude.toFixed(6) + "," + p.coords.longitude.toFixed(6);
        }, function () {}, { timeout: 5000 });
      });
    }
  });
})();
