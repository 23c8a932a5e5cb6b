// Renders the gallery's items in ONE headless Chromium page and reports what it shows.
//
//   node render.js JOB.json
//
// JOB: {"chromium": path, "nodeModules": dir, "hostConfig": {...}, "css": "...",
//       "items": [{"slug", "view": "teams-card"|"teams-text"|"matrix"|"local",
//                  "caption": str, "card"?: {...}, "markdown"?: str, "html"?: str,
//                  "text"?: str, "png": path}], "results": path}
// Teams cards are rendered by Microsoft's Adaptive Cards renderer (npm adaptivecards) with
// markdown-it as its Markdown processor, as Teams' web client does; Teams text messages go
// through markdown-it alone. Every visible button is clicked and the data the card submits
// is recorded. Results: per item the visible text (innerText), the buttons, the overflow
// menu, any element wider than the message column, and table cells whose text runs into the
// next cell, out of its own cell, or (a figure) onto a second line.
"use strict";
const fs = require("fs");
const path = require("path");

const VIEWPORT = { width: 900, height: 1600 };  // taller items take a (slower) full-page shot

async function main() {
  const job = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
  const { chromium } = require(path.join(job.nodeModules, "playwright-core"));
  const browser = await chromium.launch({
    executablePath: job.chromium,
    args: ["--no-sandbox", "--disable-gpu", "--font-render-hinting=none"],
  });
  try {
    const page = await browser.newPage({ viewport: VIEWPORT });
    await page.setContent(`<!doctype html><html><head><meta charset="utf-8">
      <style>${job.css}</style></head><body><div id="stage"></div></body></html>`);
    await page.addScriptTag({
      path: path.join(job.nodeModules, "markdown-it/dist/browser/markdown-it.umd.min.js"),
    });
    await page.addScriptTag({
      path: path.join(job.nodeModules, "adaptivecards/dist/adaptivecards.min.js"),
    });
    await page.evaluate(setUp, job.hostConfig);
    // Helpers renderItem calls in the page (page.evaluate sends one function's source).
    await page.addScriptTag({ content: `${textRects}\n${tableCells}\n${showMentions}` });
    const results = [];
    for (const item of job.items) {
      const result = await page.evaluate(renderItem, item);
      const tall = result.box.height > VIEWPORT.height;
      await page.screenshot({ path: item.png, clip: result.box, fullPage: tall });
      result.submitted = await page.evaluate(pressButtons);  // after the picture
      results.push({ slug: item.slug, view: item.view, ...result });
    }
    fs.writeFileSync(job.results, JSON.stringify(results, null, 1));
  } finally {
    await browser.close();
  }
}

// In the page: the renderer's settings (Teams' host config, markdown-it as Teams uses it).
function setUp(hostConfig) {
  const md = window.markdownit();
  window.galleryMarkdown = md;
  window.galleryHost = new AdaptiveCards.HostConfig(hostConfig);
  window.gallerySubmitted = [];
  AdaptiveCards.GlobalSettings.allowMoreThanMaxActionsInOverflowMenu = true;
  AdaptiveCards.AdaptiveCard.onProcessMarkdown = (text, result) => {
    result.outputHtml = md.render(text);
    result.didProcess = true;
  };
}

// In the page: press every visible button but the overflow menu, one after the other, as a
// user's click would (the button's own click handler); what the card submitted for each.
// A card with a choice set (a compact select) has one submit: it is pressed once per option,
// with that option picked, so every entry is the list of what one button submitted.
function pressButtons() {
  const submitted = [];
  const select = document.querySelector("#stage select");
  const picks = select ? [...select.options].filter((o) => o.value).map((o) => o.value) : [null];
  for (const element of document.querySelectorAll("#stage [data-gallery-button]")) {
    if (element.getAttribute("data-gallery-overflow") === "true") continue;
    const sent = [];
    for (const pick of picks) {
      if (pick !== null) {
        select.value = pick;
        select.dispatchEvent(new Event("change"));
      }
      window.gallerySubmitted = [];
      element.click();
      sent.push(window.gallerySubmitted.length ? window.gallerySubmitted[0] : null);
    }
    submitted.push(sent);
  }
  return submitted;
}

// In the page: render one item into #stage and measure it.
function renderItem(item) {
  const stage = document.getElementById("stage");
  stage.innerHTML = "";
  const frame = document.createElement("div");
  frame.className = `frame ${item.view}`;
  stage.appendChild(frame);
  const errors = [];
  let body = document.createElement("div");
  body.className = "body";
  if (item.view === "teams-card") {
    const card = new AdaptiveCards.AdaptiveCard();
    card.hostConfig = window.galleryHost;
    card.onExecuteAction = (action) => window.gallerySubmitted.push(action.data ?? null);
    card.parse(item.card);
    for (const error of card.validateProperties().failures || []) {
      for (const e of error.errors || []) errors.push(e.message);
    }
    body = card.render();
  } else if (item.markdown !== undefined) {
    body.innerHTML = window.galleryMarkdown.render(item.markdown);  // a Teams text message
  } else if (item.html !== undefined) {
    body.innerHTML = item.html;  // Matrix formatted_body, as Element inserts it
  } else {
    const pre = document.createElement("pre");
    pre.textContent = item.text;
    body.appendChild(pre);
  }
  showMentions(body, item.mentions || []);
  const caption = document.createElement("div");
  caption.className = "caption";
  caption.textContent = item.caption || "";
  frame.appendChild(caption);
  frame.appendChild(body);
  // The message column: the card (Teams) or the frame; what crosses it is cut off or
  // scrolls sideways in the client.
  const columnBox = body.getBoundingClientRect();
  const inButton = (element) => element.closest("button, [role=button]") !== null;
  // Text that crosses the column: every laid-out line of every text node, and the box that
  // holds it.
  const tooWide = [];
  const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!node.textContent.trim() || !parent || inButton(parent) || parent.closest("select")) {
      continue;
    }
    const range = document.createRange();
    range.selectNodeContents(node);
    const crosses = (r) => r.width > 0 && r.right > columnBox.right + 1;
    // Both: a list item's box reaches past its words, and pre-wrap's trailing spaces hang
    // past a line's end; a word that does not fit pushes both the text and its box out.
    if ([...range.getClientRects()].some(crosses) && crosses(parent.getBoundingClientRect())) {
      tooWide.push(parent.textContent.trim().slice(0, 80));
    }
  }
  const buttons = [];
  body.querySelectorAll("button, [role=button]").forEach((element) => {
    if (element.offsetParent === null) return;  // not shown
    const overflow = element.classList.contains("ac-overflow-button")
      || element.getAttribute("aria-haspopup") === "true"
      || element.textContent.trim() === "...";
    const box = element.getBoundingClientRect();
    element.setAttribute("data-gallery-button", String(buttons.length));
    element.setAttribute("data-gallery-overflow", String(overflow));
    buttons.push({
      title: element.textContent.trim(),
      overflow,
      cutOff: box.right > columnBox.right + 1 || box.left < columnBox.left - 1,
      truncated: [element, ...element.querySelectorAll("*")].some(  // "Bele…"
        (part) => part.scrollWidth > part.clientWidth + 1),
    });
  });
  const frameBox = frame.getBoundingClientRect();
  return {
    tableCells: tableCells(body).slice(0, 8),
    box: { x: frameBox.x, y: frameBox.y, width: frameBox.width, height: frameBox.height },
    text: body.innerText,
    html: frame.innerHTML.length,
    buttons,
    tooWide: tooWide.slice(0, 5),
    scrollOverflow: body.scrollWidth > body.clientWidth + 1,
    errors,
  };
}

// In the page: a Teams mention as the client shows it. The renderer knows nothing of
// mentions and leaves "<at>Name</at>" as text; Teams replaces each tag that has its mention
// entity with the highlighted name. `tags` are the entities' texts.
function showMentions(root, tags) {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const nodes = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) nodes.push(node);
  for (const node of nodes) {
    for (const tag of tags) {
      const at = node.textContent.indexOf(tag);
      if (at < 0) continue;
      const after = node.splitText(at);
      after.textContent = after.textContent.slice(tag.length);
      const name = document.createElement("span");
      name.className = "mention";
      const shown = document.createElement("textarea");  // the tag's XML-escaped name
      shown.innerHTML = tag.slice(4, -5);
      name.textContent = shown.value;
      after.parentNode.insertBefore(name, after);
      break;
    }
  }
}

// In the page: the laid-out lines of the text in `element` (text nodes' client rects, not
// element boxes: a list item's box reaches past its words, a cell's box past its text).
function textRects(element) {
  const rects = [];
  const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.textContent.trim()) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const r of range.getClientRects()) if (r.width > 0 && r.height > 0) rects.push(r);
  }
  return rects;
}

// In the page: what is wrong with the tables (Adaptive Card Table rows, HTML table rows).
// In every row, the text of each cell stays inside that cell's box and does not touch the
// text of the next cell (a header word too long for its column runs into its neighbour);
// a figure (a data cell after the first column) stays on one line; nothing is cut off with
// an ellipsis. Each problem as "cell text | what".
function tableCells(root) {
  const problems = [];
  const rows = root.querySelectorAll("[role=row], tr");
  const apart = (a, b) => a.right <= b.left + 1 || b.right <= a.left + 1
    || a.bottom <= b.top + 1 || b.bottom <= a.top + 1;
  for (const row of rows) {
    const header = row.querySelector("th, [role=columnheader]") !== null;
    const table = row.closest("table, [role=table]");
    const figures = table !== null && table.querySelector("th, [role=columnheader]") !== null;
    const cells = [...row.children].filter((c) => c.matches("td, th, [role=cell], [role=columnheader]"));
    const texts = cells.map(textRects);
    cells.forEach((cell, index) => {
      const box = cell.getBoundingClientRect();
      const label = cell.textContent.trim().slice(0, 40);
      if (texts[index].some((r) => r.left < box.left - 1 || r.right > box.right + 1)) {
        problems.push(`${label} | overflows its cell`);
      }
      const next = texts[index + 1];
      if (next && texts[index].some((r) => next.some((n) => !apart(r, n)))) {
        problems.push(`${label} | runs into ${cells[index + 1].textContent.trim().slice(0, 40)}`);
      }
      const lines = new Set(texts[index].map((r) => Math.round(r.top)));
      if (figures && !header && index > 0 && lines.size > 1) problems.push(`${label} | figure wraps`);
      const cut = [cell, ...cell.querySelectorAll("*")].some(
        (part) => part.scrollWidth > part.clientWidth + 1 && getComputedStyle(part).overflow !== "visible");
      if (cut) problems.push(`${label} | cut off`);
    });
  }
  return problems;
}

main().catch((error) => {
  console.error(error && error.stack ? error.stack : String(error));
  process.exit(1);
});
