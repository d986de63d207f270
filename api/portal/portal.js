// The public pages of the trading portal (the participants' desks are in desks.js): open and
// finished tenders, each tender's page with its timeline, opening record, candidates, complaint
// decisions, cancellation and results, and the notices the information service publishes.
// Everything is read from this node's API; nothing is loaded from elsewhere. People read names,
// amounts in yuan and China Standard Time; keys only where there is no name.
"use strict";

const TEXT = {
  zh: {
    platform: "公共资源交易平台", loading: "正在加载…", footer: "所有时间为北京时间；金额为人民币。",
    open_tenders: "正在进行的项目", final_tenders: "已结束的项目", notices: "最新公告", none: "暂无", more: "更多",
    tender: "项目编号", title: "项目名称", market: "交易类型", phase: "状态", deadline: "投标截止时间",
    office: "招标人", lots: "标段", bids: "投标数", withheld: "截止前不公开", timeline: "项目进程",
    opening: "开标记录", bidder: "投标人", price: "投标报价", valid: "有效", invalid: "无效",
    candidates: "中标候选人", rank: "排名", results: "中标结果", winner: "中标人", pays: "中标金额",
    failed: "流标", not_found: "没有这个项目", error: "无法读取", back: "返回首页", lot: "标段",
    amendments: "变更次数", suspended: "已暂停", published: "发布时间", kind: "公告类型",
    publicity_ends: "公示截止", complaint_decisions: "投诉处理决定", complaint_id: "投诉编号", decision: "处理结果",
    reasons: "理由", cancellation: "终止公告",
    decisions: { dismissed: "驳回投诉", re_evaluate: "投诉成立，重新评审", re_tender: "投诉成立，重新招标", annul_award: "投诉成立，撤销中标" },
    markets: { procurement: "政府采购", construction: "工程建设", land_use_right: "土地使用权出让",
      property_rights: "产权交易", coal_coke: "煤炭焦炭交易" },
    phases: { key_generation: "密钥生成中", bidding: "投标中", closed: "已截止", opened: "已开标",
      publicity: "公示中", awarded: "已定标", failed: "流标", cancelled: "已终止" },
    kinds: { tender: "招标公告", amendment: "变更公告", opening: "开标记录", candidates: "中标候选人公示",
      result: "中标结果公告", cancellation: "终止公告", complaint_decision: "投诉处理决定" },
  },
  en: {
    platform: "Public Resource Trading", loading: "Loading…", footer: "Times are China Standard Time; amounts in yuan (CNY).",
    open_tenders: "Open tenders", final_tenders: "Finished tenders", notices: "Latest notices", none: "None", more: "More",
    tender: "Tender", title: "Title", market: "Market", phase: "Status", deadline: "Bidding deadline",
    office: "Office", lots: "Lots", bids: "Bids", withheld: "withheld until the deadline", timeline: "Timeline",
    opening: "Opening record", bidder: "Bidder", price: "Price", valid: "valid", invalid: "not valid",
    candidates: "Candidates", rank: "Rank", results: "Results", winner: "Winner", pays: "Amount",
    failed: "failed", not_found: "No such tender", error: "Cannot read", back: "Home", lot: "Lot",
    amendments: "Amendments", suspended: "Suspended", published: "Published", kind: "Notice",
    publicity_ends: "Publicity ends", complaint_decisions: "Complaint decisions", complaint_id: "Complaint", decision: "Decision",
    reasons: "Reasons", cancellation: "Cancellation",
    decisions: { dismissed: "Dismissed", re_evaluate: "Upheld: re-evaluate", re_tender: "Upheld: re-tender", annul_award: "Upheld: award annulled" },
    markets: { procurement: "Government procurement", construction: "Construction", land_use_right: "Land-use right",
      property_rights: "Property rights", coal_coke: "Coal and coke" },
    phases: { key_generation: "Key generation", bidding: "Taking bids", closed: "Closed", opened: "Opened",
      publicity: "Candidates publicized", awarded: "Awarded", failed: "Failed", cancelled: "Cancelled" },
    kinds: { tender: "Tender notice", amendment: "Amendment", opening: "Opening record", candidates: "Candidate publicity",
      result: "Result", cancellation: "Cancellation", complaint_decision: "Complaint decision" },
  },
};

let language = localStorage.getItem("sealbid-language") === "en" ? "en" : "zh";
const text = (key) => TEXT[language][key] ?? key;
const named = (table, key) => TEXT[language][table][key] ?? key;
const locale = () => (language === "zh" ? "zh-CN" : "en-GB");

/** An amount in fen as yuan: 95000 → ¥950.00. */
function yuan(fen) {
  return new Intl.NumberFormat(locale(), { style: "currency", currency: "CNY" }).format(fen / 100);
}

/** An instant (ms since the epoch) in China Standard Time. */
function chinaTime(ms) {
  const formatted = new Intl.DateTimeFormat(locale(), {
    timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", hour12: false,
  }).format(new Date(ms));
  return `${formatted} ${language === "zh" ? "北京时间" : "CST"}`;
}

/** An element with `children` (nodes or text); `attributes` set as given. */
function element(name, attributes = {}, ...children) {
  const node = document.createElement(name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  for (const child of children) node.append(child instanceof Node ? child : String(child));
  return node;
}

/** A table of `rows` (arrays of cells) under `headings`; `money` names the money columns. */
function table(headings, rows, money = []) {
  if (rows.length === 0) return element("p", {}, text("none"));
  const head = element("tr", {}, ...headings.map((heading) => element("th", {}, text(heading))));
  const body = rows.map((row) =>
    element("tr", row.attributes ?? {}, ...row.cells.map((cell, column) =>
      element("td", money.includes(column) ? { class: "money" } : {}, cell))));
  return element("table", {}, element("thead", {}, head), element("tbody", {}, ...body));
}

/** GETs `target` from this node's API as JSON: its body, and the path of the next page its `Link: rel="next"` names (or null); a refusal throws. */
async function readLinked(target) {
  const answer = await fetch(target, { headers: { accept: "application/json" } });
  const body = await answer.json();
  if (!answer.ok) throw Object.assign(new Error(body.detail ?? answer.statusText), { status: answer.status, code: body.code });
  const link = (answer.headers.get("link") ?? "").match(/<([^>]+)>;\s*rel="next"/);
  return { body, next: link ? new URL(link[1]).pathname + new URL(link[1]).search : null };
}

/** GETs `path` from this node's API as JSON. */
const read = async (path) => (await readLinked(path)).body;

/** Every notice of the entries from audit index `start` on, oldest first (at most 1,000 pages of 1,000). */
async function allNotices(query = "", start = 0) {
  const notices = [];
  let from = start;
  for (let page = 0; page < 1000; page += 1) {
    const answer = await read(`/v1/notices?from=${from}&count=1000${query}`);
    notices.push(...answer.notices);
    if (answer.next === null) break;
    from = answer.next;
  }
  return notices;
}

/** The newest `limit` notices, oldest first: read from the log's end, reaching back as far as it takes. */
async function latestNotices(limit) {
  const { size } = await read("/v1/audit/head");
  for (let reach = 1000; ; reach *= 8) {
    const start = Math.max(0, size - reach);
    const notices = await allNotices("", start);
    if (notices.length >= limit || start === 0) return notices.slice(-limit);
  }
}

/** Every item of a paged list route from `target` on, following its `Link: rel="next"` (at most 100 pages). */
async function readPages(target) {
  const items = [];
  let next = target;
  for (let page = 0; page < 100 && next; page += 1) {
    const answer = await readLinked(next);
    items.push(...answer.body);
    next = answer.next;
  }
  return items;
}

/** The public participants' names by key. */
async function participantNames() {
  const names = new Map();
  for (const participant of await readPages("/v1/participants?count=1000")) names.set(participant.key, participant.name);
  return names;
}

/** A tender's id as a link to its page. */
const tenderLink = (id) => element("a", { href: `#/tender/${id}` }, id);

/** The rows of a tender table, and its headings. */
function tenderRows(tenders, names) {
  return tenders.map((tender) => ({
    attributes: { "data-tender": tender.id },
    cells: [tenderLink(tender.id), tender.spec.title, named("markets", tender.spec.market),
      named("phases", tender.phase), chinaTime(tender.deadline_ms), names.get(tender.office) ?? tender.office],
  }));
}
const TENDER_HEADINGS = ["tender", "title", "market", "phase", "deadline", "office"];

/** Finished tenders a page shows; more are a link away. */
const FINAL_PER_PAGE = 100;

/** A page of finished tenders from tender number `from` on, and a link to the next page when there is one. */
async function finishedSection(from, names) {
  const page = await readLinked(`/v1/tenders?status=final&from=${from}&count=${FINAL_PER_PAGE}`);
  const section = element("section", { id: "final-tenders" }, element("h2", {}, text("final_tenders")),
    table(TENDER_HEADINGS, tenderRows(page.body, names)));
  const next = page.next && new URLSearchParams(page.next.split("?")[1]).get("from");
  if (next) section.append(element("p", {}, element("a", { id: "more-final", href: `#/final/${next}` }, text("more"))));
  return section;
}

/** The home page: open tenders, finished ones, the latest notices. */
async function home() {
  const [open, names, notices] = await Promise.all([
    readPages("/v1/tenders?status=open&count=100"), participantNames(), latestNotices(20),
  ]);
  const finished = await finishedSection(1, names);
  const latest = notices.reverse().map((notice) => ({
    cells: [chinaTime(notice.published_at_ms), tenderLink(notice.tender), notice.title,
      named("kinds", Object.keys(notice.content)[0])],
  }));
  return [
    element("section", { id: "open-tenders" }, element("h2", {}, text("open_tenders")), table(TENDER_HEADINGS, tenderRows(open, names))),
    finished,
    element("section", { id: "notices" }, element("h2", {}, text("notices")),
      table(["published", "tender", "title", "kind"], latest)),
  ];
}

/** The finished tenders from tender number `from` on, a page at a time. */
async function finishedPage(from) {
  return [await finishedSection(from, await participantNames())];
}

/** A bidder's name from the notices that named it, or its key. */
function bidderName(names, key) {
  return names.get(key) ?? element("span", { class: "key" }, key);
}

/** One tender's page. */
async function tenderPage(id) {
  let answer;
  try {
    answer = await read(`/v1/tenders/${encodeURIComponent(id)}`);
  } catch (error) {
    if (error.status === 404) return [element("section", { id: "not-found" }, element("h1", {}, `${text("not_found")}: ${id}`))];
    throw error;
  }
  const [names, notices] = await Promise.all([participantNames(), allNotices(`&tender=${encodeURIComponent(id)}`)]);
  const tender = answer.tender;
  for (const notice of notices) {
    for (const line of notice.content.opening?.bids ?? []) names.set(line.bidder, line.name);
  }
  const summary = element("dl", {},
    element("dt", {}, text("tender")), element("dd", {}, tender.id),
    element("dt", {}, text("market")), element("dd", {}, named("markets", tender.spec.market)),
    element("dt", {}, text("office")), element("dd", {}, names.get(tender.office) ?? tender.office),
    element("dt", {}, text("phase")), element("dd", { id: "phase" }, named("phases", tender.phase)),
    element("dt", {}, text("deadline")), element("dd", {}, chinaTime(tender.deadline_ms)),
    element("dt", {}, text("bids")), element("dd", {}, tender.bid_count ?? text("withheld")),
    element("dt", {}, text("amendments")), element("dd", {}, tender.amendments.length),
    element("dt", {}, text("lots")), element("dd", {}, tender.spec.lots.map((lot) => `${lot.id} ${lot.title}`).join("; ")));
  const sections = [element("section", { id: "summary" }, element("h1", { id: "title" }, tender.spec.title), summary)];
  sections.push(element("section", { id: "timeline" }, element("h2", {}, text("timeline")),
    table(["published", "kind"], notices.map((notice) => ({
      cells: [chinaTime(notice.published_at_ms), named("kinds", Object.keys(notice.content)[0])],
    })))));
  const opening = notices.find((notice) => notice.content.opening)?.content.opening;
  if (opening) {
    sections.push(element("section", { id: "opening" }, element("h2", {}, text("opening")),
      table(["lot", "bidder", "price", "valid"], opening.bids.map((line) => ({
        cells: [line.lot, line.name, line.price_fen === null || line.price_fen === undefined ? "—" : yuan(line.price_fen),
          text(line.valid ? "valid" : "invalid")],
      })), [2])));
  }
  const publicity = notices.filter((notice) => notice.content.candidates).pop()?.content.candidates;
  if (publicity) {
    const rows = Object.entries(publicity.lots).flatMap(([lot, ranked]) =>
      ranked.map((candidate) => ({ cells: [lot, candidate.rank, candidate.name, yuan(candidate.price_fen)] })));
    sections.push(element("section", { id: "candidates" }, element("h2", {}, text("candidates")),
      element("p", {}, `${text("publicity_ends")}: ${chinaTime(publicity.ends_ms)}`),
      table(["lot", "rank", "bidder", "price"], rows, [3])));
  }
  const decisions = notices.filter((notice) => notice.content.complaint_decision).map((notice) => notice.content.complaint_decision);
  if (decisions.length > 0) {
    sections.push(element("section", { id: "complaint-decisions" }, element("h2", {}, text("complaint_decisions")),
      table(["complaint_id", "decision", "reasons"], decisions.map((decided) => ({
        attributes: { "data-complaint": decided.complaint },
        cells: [decided.complaint, named("decisions", decided.decision === "dismissed" ? "dismissed" : decided.decision.upheld.handling), decided.text],
      })))));
  }
  const cancellation = notices.find((notice) => notice.content.cancellation)?.content.cancellation;
  if (cancellation) {
    sections.push(element("section", { id: "cancellation" }, element("h2", {}, text("cancellation")), element("p", {}, cancellation.reason)));
  }
  if (answer.results) {
    const rows = Object.entries(answer.results).flatMap(([lot, outcome]) =>
      outcome.awarded
        ? outcome.awarded.winners.map((winner) => ({
          cells: [lot, bidderName(names, winner.bidder), yuan(winner.pay_fen ?? winner.price_fen)],
        }))
        : [{ cells: [lot, text("failed"), "—"] }]);
    sections.push(element("section", { id: "results" }, element("h2", {}, text("results")),
      table(["lot", "winner", "pays"], rows, [2])));
  }
  return sections;
}

/** Shows the page the address names. */
async function show() {
  for (const [code, button] of [["zh", "lang-zh"], ["en", "lang-en"]]) {
    document.getElementById(button).setAttribute("aria-pressed", String(code === language));
  }
  document.documentElement.lang = language === "zh" ? "zh-CN" : "en";
  for (const node of document.querySelectorAll("[data-text]")) node.textContent = text(node.dataset.text);
  document.title = `sealbid ${text("platform")}`;
  const main = document.getElementById("main");
  const match = location.hash.match(/^#\/tender\/(.+)$/);
  const final = location.hash.match(/^#\/final\/([1-9][0-9]{0,15})$/);
  const desk = DESKS[location.hash];
  leaveDesk();
  shown += 1;
  const showing = shown;
  let content;
  try {
    content = desk ? await desk() : match ? await tenderPage(decodeURIComponent(match[1]))
      : final ? await finishedPage(Number(final[1])) : await home();
  } catch (error) {
    // The node's problem in the page's language (reasons.js), else as it was said.
    const said = (language === "zh" && PROBLEMS_ZH[error.code]) || error.message;
    content = [element("p", { class: "error", id: "error" }, `${text("error")}: ${said}`)];
  }
  // A page asked for later is showing, or about to: this one is dropped with what it would start
  // (counted in `data-dropped`).
  if (showing !== shown) {
    main.dataset.dropped = String(Number(main.dataset.dropped ?? 0) + 1);
    return;
  }
  main.replaceChildren(...content);
  main.dataset.ready = location.hash || "#/";
  // What a desk starts once it is shown (the supervisor's live stream).
  content.start?.();
}

/** How many pages were asked for: a page whose number is not the last is stale. */
let shown = 0;

for (const code of ["zh", "en"]) {
  document.getElementById(`lang-${code}`).addEventListener("click", () => {
    language = code;
    localStorage.setItem("sealbid-language", code);
    show();
  });
}
window.addEventListener("hashchange", () => {
  document.getElementById("outcome").replaceChildren();
  show();
});
// desks.js, loaded after this script, adds the participants' pages before the first one shows.
document.addEventListener("DOMContentLoaded", show);
