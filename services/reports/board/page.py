"""The board page: one self-contained HTML document (no external assets) that fetches /board/data and redraws."""

_PAGE = """<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=1920, height=1080">
<title>重点项目推进情况</title>
<style>
  * { box-sizing: border-box; margin: 0; padding: 0; }
  html, body { width: 1920px; height: 1080px; overflow: hidden; }
  body { background: #0b1d3a; color: #e8f0ff; font-family: "Noto Sans CJK SC", "Source Han Sans SC",
         "Microsoft YaHei", "PingFang SC", sans-serif; padding: 24px 32px; }
  header { display: flex; justify-content: space-between; align-items: baseline; height: 64px; }
  h1 { font-size: 44px; letter-spacing: 4px; color: #ffffff; }
  .stamp { font-size: 22px; color: #9fb6dc; }
  .totals { display: grid; grid-template-columns: repeat(8, 1fr); gap: 16px; margin: 16px 0; height: 150px; }
  .card { background: #12305c; border-radius: 10px; padding: 16px; display: flex; flex-direction: column;
          justify-content: space-between; }
  .card .name { font-size: 20px; color: #9fb6dc; }
  .card .value { font-size: 44px; font-weight: bold; color: #ffffff; white-space: nowrap; }
  .card .unit { font-size: 20px; color: #9fb6dc; margin-left: 4px; }
  main { display: grid; grid-template-columns: 700px 1fr 1fr; gap: 20px; height: 800px; }
  section { background: #102a52; border-radius: 10px; padding: 16px 20px; overflow: hidden; }
  h2 { font-size: 28px; margin-bottom: 12px; color: #ffffff; }
  h2.next { margin-top: 20px; }
  .colours { display: grid; grid-template-columns: repeat(3, 1fr); gap: 12px; margin-bottom: 16px; }
  .colour { border-radius: 8px; padding: 12px; text-align: center; }
  .colour .count { font-size: 56px; font-weight: bold; }
  .colour .name { font-size: 22px; }
  .red { background: #b3261e; } .yellow { background: #c79100; } .blue { background: #1565c0; }
  table { width: 100%; border-collapse: collapse; font-size: 21px; }
  th { text-align: left; color: #9fb6dc; font-weight: normal; padding: 6px 8px; border-bottom: 1px solid #2c4a7a; }
  td { padding: 7px 8px; border-bottom: 1px solid #1d3a66; white-space: nowrap; overflow: hidden;
       text-overflow: ellipsis; max-width: 260px; }
  td.num, th.num { text-align: right; }
  .up { color: #4cd964; } .down { color: #ff5b5b; } .same { color: #9fb6dc; }
  .more { font-size: 18px; color: #9fb6dc; margin-top: 8px; }
  .error { color: #ff8a80; font-size: 20px; }
</style>
</head>
<body data-loaded="false">
<header>
  <h1><span data-field="year"></span>年重点项目推进情况</h1>
  <div class="stamp">数据截至 <span data-field="as_of">—</span> · 更新于 <span data-field="updated">—</span>
    <span class="error" data-field="error"></span></div>
</header>
<div class="totals">
  <div class="card"><div class="name">项目总数</div><div><span class="value" data-field="project_count">—</span><span class="unit">个</span></div></div>
  <div class="card"><div class="name">总投资</div><div><span class="value" data-field="total_investment_yi">—</span><span class="unit">亿元</span></div></div>
  <div class="card"><div class="name">年度计划投资</div><div><span class="value" data-field="annual_plan_investment_yi">—</span><span class="unit">亿元</span></div></div>
  <div class="card"><div class="name">累计完成投资</div><div><span class="value" data-field="ytd_investment_yi">—</span><span class="unit">亿元</span></div></div>
  <div class="card"><div class="name">投资完成率</div><div><span class="value" data-field="investment_completion_rate_percent">—</span><span class="unit">%</span></div></div>
  <div class="card"><div class="name">开工及竣工</div><div><span class="value" data-field="started_or_completed_count">—</span><span class="unit">个</span></div></div>
  <div class="card"><div class="name">开工(竣工)率 / 目标 <span data-field="target_rate_percent"></span>%</div><div><span class="value" data-field="start_or_completion_rate_percent">—</span><span class="unit">%</span></div></div>
  <div class="card"><div class="name">距目标还差(<span data-field="target_rounding_note"></span>)</div><div><span class="value" data-field="needed_to_reach_target">—</span><span class="unit">个</span></div></div>
</div>
<main>
  <section>
    <h2>红黄蓝亮灯</h2>
    <div class="colours">
      <div class="colour red"><div class="count" data-field="red">—</div><div class="name">红色警告</div></div>
      <div class="colour yellow"><div class="count" data-field="yellow">—</div><div class="name">黄色预警</div></div>
      <div class="colour blue"><div class="count" data-field="blue">—</div><div class="name">蓝色正常</div></div>
    </div>
    <table><thead><tr><th>红色警告项目</th><th>责任单位</th><th>原因</th></tr></thead>
      <tbody data-list="red_projects"></tbody></table>
    <div class="more" data-field="red_more"></div>
  </section>
  <section>
    <h2>乡镇街道排名</h2>
    <table><thead><tr><th class="num">排名</th><th>单位</th><th class="num">得分</th><th class="num">投资完成率</th><th class="num">变化</th></tr></thead>
      <tbody data-list="ranking-town"></tbody></table>
  </section>
  <section>
    <h2>市直部门排名</h2>
    <table><thead><tr><th class="num">排名</th><th>单位</th><th class="num">得分</th><th class="num">投资完成率</th><th class="num">变化</th></tr></thead>
      <tbody data-list="ranking-department"></tbody></table>
    <div data-group="other" hidden>
      <h2 class="next">其他单位排名(区县、园区)</h2>
      <table><thead><tr><th class="num">排名</th><th>单位</th><th class="num">得分</th><th class="num">投资完成率</th><th class="num">变化</th></tr></thead>
        <tbody data-list="ranking-other"></tbody></table>
    </div>
  </section>
</main>
<script>
(function () {
  var REFRESH_SECONDS = __REFRESH_SECONDS__;
  var params = new URLSearchParams(window.location.search);
  var query = new URLSearchParams();
  ["year", "token"].forEach(function (name) { if (params.get(name)) { query.set(name, params.get(name)); } });
  var dataUrl = "board/data" + (query.toString() ? "?" + query.toString() : "");

  function field(name, value) {
    document.querySelectorAll('[data-field="' + name + '"]').forEach(function (node) {
      node.textContent = value === null || value === undefined ? "—" : String(value);
    });
  }
  function cell(row, text, className) {
    var td = document.createElement("td");
    td.textContent = text;
    if (className) { td.className = className; }
    row.appendChild(td);
    return td;
  }
  function change(value) {
    if (value === null || value === undefined) { return ["新", "same"]; }
    if (value > 0) { return ["▲" + value, "up"]; }
    if (value < 0) { return ["▼" + (-value), "down"]; }
    return ["—", "same"];
  }
  function render(data) {
    field("year", data.year);
    field("as_of", data.as_of);
    field("updated", new Date().toLocaleTimeString("zh-CN", { hour12: false }));
    Object.keys(data.totals).forEach(function (name) { field(name, data.totals[name]); });
    Object.keys(data.colours).forEach(function (name) { field(name, data.colours[name]); });
    var reds = document.querySelector('[data-list="red_projects"]');
    reds.replaceChildren();
    data.red_projects.forEach(function (project) {
      var row = document.createElement("tr");
      row.dataset.projectId = project.id;
      cell(row, project.name); cell(row, project.unit_name); cell(row, project.reason);
      reds.appendChild(row);
    });
    var hidden = data.red_projects_total - data.red_projects.length;
    field("red_more", hidden > 0 ? "另有 " + hidden + " 个红色警告项目" : "");
    ["town", "department", "other"].forEach(function (group) {
      var body = document.querySelector('[data-list="ranking-' + group + '"]');
      body.replaceChildren();
      var section = document.querySelector('[data-group="' + group + '"]');
      if (section) { section.hidden = data.rankings[group].length === 0; }
      data.rankings[group].forEach(function (unit) {
        var row = document.createElement("tr");
        row.dataset.unitId = unit.unit_id;
        row.dataset.rank = unit.rank;
        row.dataset.change = unit.rank_change === null ? "" : unit.rank_change;
        cell(row, unit.rank, "num");
        cell(row, unit.unit_name);
        cell(row, unit.score, "num");
        cell(row, unit.investment_completion_rate_percent === null ? "—" : unit.investment_completion_rate_percent + "%", "num");
        var arrow = change(unit.rank_change);
        cell(row, arrow[0], "num " + arrow[1]);
        body.appendChild(row);
      });
    });
    field("error", "");
    document.body.dataset.loaded = "true";
    document.body.dataset.fits = String(document.documentElement.scrollHeight <= 1080 &&
                                        document.documentElement.scrollWidth <= 1920);
  }
  function load() {
    fetch(dataUrl, { cache: "no-store" })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(render)
      .catch(function (error) { field("error", "数据暂不可用：" + error.message); });
  }
  load();
  setInterval(load, REFRESH_SECONDS * 1000);
})();
</script>
</body>
</html>
"""


def render(*, refresh_seconds: int) -> str:
    return _PAGE.replace("__REFRESH_SECONDS__", str(int(refresh_seconds)))
