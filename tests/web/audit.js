// What the accessibility test checks on a rendered page (WCAG 2.1 AA, the parts a script can decide): every form
// control and button has a name, every image an alt text, the page a language, and text its contrast (4.5:1, 3:1
// for large text) against the background it is drawn on.
() => {
  const problems = [];
  const shown = el => {
    const style = getComputedStyle(el);
    return style.visibility !== "hidden" && style.display !== "none" && el.getClientRects().length > 0;
  };
  const named = el => (el.labels && el.labels.length) || el.getAttribute("aria-label") ||
    el.getAttribute("aria-labelledby") || el.title;
  if (!document.documentElement.lang) problems.push("the page names no language");
  for (const el of document.querySelectorAll("input:not([type=hidden]), select, textarea")) {
    if (!named(el)) problems.push("unlabelled: " + el.outerHTML.slice(0, 100));
  }
  for (const el of document.querySelectorAll("img")) {
    if (!el.hasAttribute("alt")) problems.push("no alt text: " + el.outerHTML.slice(0, 100));
  }
  for (const el of document.querySelectorAll("button, a[href]")) {
    if (shown(el) && !(el.innerText.trim() || el.getAttribute("aria-label") || el.title || el.querySelector("img[alt]"))) {
      problems.push("unnamed: " + el.outerHTML.slice(0, 100));
    }
  }
  const channels = text => (text.match(/[\d.]+/g) || []).map(Number);
  const luminance = rgb => {
    const [r, g, b] = rgb.map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const background = el => {
    for (let at = el; at; at = at.parentElement) {
      const c = channels(getComputedStyle(at).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  for (const el of document.querySelectorAll("body *")) {
    if (el.closest("svg, .leaflet-container") || !shown(el)) continue;
    if (![...el.childNodes].some(n => n.nodeType === Node.TEXT_NODE && n.textContent.trim())) continue;
    const style = getComputedStyle(el);
    const [high, low] = [luminance(channels(style.color).slice(0, 3)), luminance(background(el))].sort((a, b) => b - a);
    const ratio = (high + 0.05) / (low + 0.05);
    const size = parseFloat(style.fontSize), bold = parseInt(style.fontWeight, 10) >= 700;
    const needed = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    if (ratio < needed) {
      problems.push(`contrast ${ratio.toFixed(2)} < ${needed}: <${el.tagName.toLowerCase()} class="${el.className}">` +
                    `${el.textContent.trim().slice(0, 30)}`);
    }
  }
  return problems;
}
