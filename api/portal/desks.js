// The portal's desks, one page per participant (#/bidder, #/office, #/committee,
// #/supervisor). Each desk holds its own identity key in this browser (made or imported here,
// exportable as a key file, never sent), reads what its key may read, and signs the commands of
// its role with wire.js: a bidder seals its offer in the page, so the price never leaves it.
// Every press of a button ends in one sentence in the outcome line (#outcome): what happened,
// or what the node refused and why.
"use strict";

Object.assign(TEXT.zh, {
  desks: "参与方", bidder_desk: "投标人", office_desk: "招标人", committee_desk: "开标委员会", supervisor_desk: "监督",
  key: "身份密钥", your_key: "本页的密钥：", no_key: "本页还没有密钥。", key_new: "生成新密钥", key_import: "导入密钥文件",
  key_export: "导出密钥文件", key_forget: "从本浏览器删除密钥", key_note: "密钥只保存在本浏览器中，从不发送；删除前请先导出。",
  key_made: "已生成新密钥，保存在本浏览器中。", key_imported: "已导入密钥。", key_forgotten: "已从本浏览器删除密钥。",
  working: "正在处理…", refused: "被拒绝", failed_to: "未能完成", send_again: "重新发送同一条已签名的指令", kept_unsent: "有一条已签名的指令未得到节点答复，已保留，可原样重新发送", said_kept_applied: "保留的指令已执行",
  registration: "投标人登记", organisation: "单位名称", credit_code: "统一社会信用代码", register: "申请登记",
  not_registered: "尚未登记。", pending: "登记申请待审核。", approved: "已登记为投标人：", rejected: "登记申请被驳回：", revoked: "登记已被撤销：",
  roles: "角色", bid: "投标", price_yuan: "报价（元）", tonnes: "数量（吨）", submit: "递交投标", replace: "替换投标", withdraw: "撤回投标",
  no_bidding: "目前没有正在投标的项目。", held: "已递交的投标", receipts: "回执", log_key: "日志验证密钥（由交易中心公布）",
  save: "保存", verify: "验证", verified: "已验证：包含在大小为 {size} 的检查点中", action: "操作", audit_index: "审计序号",
  publish: "发布项目", lot_id: "标段编号", lot_title: "标段名称", ceiling_yuan: "最高投标限价（元）", quantity: "总量（吨）",
  lot_size: "最小成交量（吨）", add_lot: "增加标段", deadline_cst: "投标截止时间（北京时间，YYYY-MM-DD HH:MM:SS）",
  notice_days: "公告期（天）", valid_min: "最少有效投标数", committee: "开标委员会成员（每行一个密钥）", threshold: "开标所需人数",
  validity_days: "投标有效期（天，可不填）", my_tenders: "本单位的项目", act: "办理", finish_keygen: "结束密钥生成",
  amend: "发布变更", notice: "变更内容", new_deadline: "新的截止时间（可不填）", reserve: "密封底价", reserve_yuan: "底价（元）",
  close: "截止投标", open: "开标", disqualify: "否决投标", reason: "理由", publish_candidates: "公示中标候选人", award: "定标",
  cancel: "终止项目", opened_bids: "开标结果", status: "状态", none_yet: "暂无",
  encryption_key: "加密密钥文件（32 字节）", encryption_loaded: "已载入加密密钥。", member: "委员编号", shares: "已提交份额",
  release: "提交密钥份额", my_committees: "本人参加的开标委员会", prove: "证明持有份额", readiness: "持有证明",
  live: "实时监控", watching: "正在接收第 {from} 条起的记录", stream_stopped: "实时连接中断，正在重连", time: "时间", entry_kind: "记录类型",
  signer: "签名者", warnings: "预警", warning: "预警编号", level: "级别", indicator: "指标", dispositions: "处置", dispose: "处置预警",
  acknowledge: "确认", dismiss: "排除", escalate: "上报", suspend: "暂停项目", resume: "恢复项目",
  complaints: "投诉", complaint: "投诉编号", review: "受理审查", decide: "处理决定", review_text: "说明",
  accepted_suspend: "受理并暂停项目", accepted: "受理", not_accepted: "不予受理", referred: "移送",
  dismissed: "驳回", re_evaluate: "重新评审", re_tender: "重新招标", annul_award: "撤销中标",
  performance: "履职评价", month: "月份", on_time: "按时", overdue: "逾期", running_late: "正在逾期的事项", due: "期限",
  levels: { notice: "提示", yellow: "黄牌", red: "红牌" },
  disqualified: "已否决", required: "必填", amount_hint: "请填写以元为单位的金额，如 1234.50", out_of_range: "超出范围", whole_number: "请填写整数",
  instant_hint: "请按 YYYY-MM-DD HH:MM:SS（北京时间）填写", no_such_date: "没有这一天",
  entry: "审计记录第 {index} 条", entry_replayed: "审计记录第 {index} 条，此前已执行，本次为原回执",
  said_applied: "{organisation}：登记申请已提交，待登记人员审核", said_bid: "已递交 {tender} 标段 {lot} 的投标，报价 {price}，在本页密封；回执已保存",
  said_replaced: "已替换 {tender} 标段 {lot} 的投标，报价 {price}，在本页密封；回执已保存", said_withdrawn: "已撤回 {tender} 标段 {lot} 的投标；回执已保存",
  said_published: "项目 {tender} 已发布；开标委员会正在生成开标密钥", said_keygen: "{tender} 的密钥生成已推进",
  said_amended: "{tender} 已变更；投标截止时间为 {deadline}", said_reserve: "{tender} 标段 {lot} 的底价已在本页密封",
  said_closed: "{tender} 已截止投标", said_opened: "{tender} 已开标：有效投标 {valid} 份，无效 {invalid} 份",
  said_disqualified: "{tender} 标段 {lot} 的一份投标已被否决", said_candidates: "{tender} 的中标候选人已公示",
  said_awarded: "{tender} 已定标；中标结果通知已发出", said_cancelled: "{tender} 已终止",
  said_released: "已提交 {tender} 的密钥份额：已有 {valid} 份，开标需要 {threshold} 份", said_proved: "已证明持有 {tender} 的密钥份额（委员 {member}，截止时间 {deadline}）", said_disposed: "预警 {warning}：{disposition}",
  said_suspended: "{tender} 已暂停", said_resumed: "{tender} 已恢复；投标截止时间为 {deadline}",
  said_reviewed: "投诉 {complaint} 已审查", said_decided: "投诉 {complaint} 已作出处理决定",
});
Object.assign(TEXT.en, {
  desks: "Participants", bidder_desk: "Bidder", office_desk: "Tendering office", committee_desk: "Opening committee", supervisor_desk: "Supervision",
  key: "Identity key", your_key: "This page's key:", no_key: "This page holds no key yet.", key_new: "Make a new key", key_import: "Import a key file",
  key_export: "Export the key file", key_forget: "Forget the key in this browser", key_note: "The key is kept in this browser and never sent; export it before you forget it.",
  key_made: "A new key was made and kept in this browser.", key_imported: "The key was imported.", key_forgotten: "The key was removed from this browser.",
  working: "Working…", refused: "Refused", failed_to: "Could not finish", send_again: "Send the same signed command again", kept_unsent: "A signed command got no answer from the node; it is kept and can be sent again as it is", said_kept_applied: "The kept command was applied",
  registration: "Bidder registration", organisation: "Organisation", credit_code: "Unified social credit code", register: "Apply to register",
  not_registered: "Not registered yet.", pending: "The application is pending a registrar's decision.", approved: "Registered as a bidder: ", rejected: "The application was rejected: ", revoked: "The registration was revoked: ",
  roles: "Roles", bid: "Bid", price_yuan: "Price (yuan)", tonnes: "Tonnes", submit: "Submit the bid", replace: "Replace the bid", withdraw: "Withdraw the bid",
  no_bidding: "No tender is taking bids now.", held: "Bids held", receipts: "Receipts", log_key: "Log verifier key (published by the trading centre)",
  save: "Save", verify: "Verify", verified: "Verified: included in the checkpoint of size {size}", action: "Action", audit_index: "Audit entry",
  publish: "Publish a tender", lot_id: "Lot id", lot_title: "Lot title", ceiling_yuan: "Ceiling price (yuan)", quantity: "Quantity (tonnes)",
  lot_size: "Smallest lot (tonnes)", add_lot: "Add a lot", deadline_cst: "Bidding deadline (China Standard Time, YYYY-MM-DD HH:MM:SS)",
  notice_days: "Notice period (days)", valid_min: "Fewest valid bids", committee: "Opening committee (one key per line)", threshold: "Members needed to open",
  validity_days: "Bid validity (days, optional)", my_tenders: "This office's tenders", act: "Act", finish_keygen: "Finish the key generation",
  amend: "Publish an amendment", notice: "The amendment", new_deadline: "New deadline (optional)", reserve: "Seal the reserve price", reserve_yuan: "Reserve price (yuan)",
  close: "Close bidding", open: "Open the bids", disqualify: "Disqualify a bid", reason: "Reason", publish_candidates: "Publish the candidates", award: "Award",
  cancel: "Cancel the tender", opened_bids: "Opened bids", status: "Status", none_yet: "None yet",
  encryption_key: "Encryption key file (32 bytes)", encryption_loaded: "The encryption key is loaded.", member: "Member", shares: "Shares released",
  release: "Release my share", my_committees: "Committees I sit on", prove: "Prove I hold my share", readiness: "Proved holding",
  live: "Live monitoring", watching: "Receiving entries from {from} on", stream_stopped: "The live connection dropped; reconnecting", time: "Time", entry_kind: "Entry",
  signer: "Signer", warnings: "Early warnings", warning: "Warning", level: "Level", indicator: "Indicator", dispositions: "Dispositions", dispose: "Dispose of a warning",
  acknowledge: "Acknowledge", dismiss: "Dismiss", escalate: "Escalate", suspend: "Suspend a tender", resume: "Resume a tender",
  complaints: "Complaints", complaint: "Complaint", review: "Review", decide: "Decide", review_text: "Text",
  accepted_suspend: "Accept and suspend the tender", accepted: "Accept", not_accepted: "Do not accept", referred: "Refer",
  dismissed: "Dismiss", re_evaluate: "Re-evaluate", re_tender: "Re-tender", annul_award: "Annul the award",
  performance: "Performance", month: "Month", on_time: "On time", overdue: "Overdue", running_late: "Running late", due: "Due",
  levels: { notice: "Notice", yellow: "Yellow", red: "Red" },
  disqualified: "disqualified", required: "required", amount_hint: "write an amount in yuan such as 1234.50", out_of_range: "out of range", whole_number: "a whole number",
  instant_hint: "write YYYY-MM-DD HH:MM:SS (China Standard Time)", no_such_date: "no such date",
  entry: "audit entry {index}", entry_replayed: "audit entry {index}; applied before, this is its original receipt",
  said_applied: "{organisation}: application sent, pending a registrar's decision", said_bid: "Bid on {tender} lot {lot} accepted at {price}, sealed in this page; receipt kept",
  said_replaced: "Bid on {tender} lot {lot} replaced at {price}, sealed in this page; receipt kept", said_withdrawn: "Bid on {tender} lot {lot} withdrawn; receipt kept",
  said_published: "Tender {tender} published; its committee now makes its opening key", said_keygen: "Key generation of {tender} moved on",
  said_amended: "{tender} amended; bidding ends {deadline}", said_reserve: "Reserve price of {tender} lot {lot} sealed in this page",
  said_closed: "Bidding on {tender} closed", said_opened: "{tender} opened: {valid} valid bid(s), {invalid} not valid",
  said_disqualified: "A bid on {tender} lot {lot} disqualified", said_candidates: "Candidates of {tender} published",
  said_awarded: "{tender} awarded; the result notices went out", said_cancelled: "{tender} cancelled",
  said_released: "Share for {tender} released: {valid} of the {threshold} the opening needs", said_proved: "Proved holding the share for {tender} (member {member}, deadline {deadline})", said_disposed: "Warning {warning}: {disposition}",
  said_suspended: "{tender} suspended", said_resumed: "{tender} resumed; bidding ends {deadline}",
  said_reviewed: "Complaint {complaint} reviewed", said_decided: "Complaint {complaint} decided",
});

/** `key`'s text with `{name}` placeholders filled from `values`. */
const filled = (key, values) => text(key).replace(/\{(\w+)\}/g, (_, name) => String(values[name]));

// ---- Keys kept in this browser -------------------------------------------------------------

/** Where a desk keeps its key file (base64url) in this browser. */
const keyStorage = (desk) => `sealbid-key-${desk}`;

/** The key `desk` holds, or `null`. */
async function heldIdentity(desk) {
  const stored = localStorage.getItem(keyStorage(desk));
  return stored === null ? null : Identity.fromFile(fromBase64url(stored));
}

/** Keeps `identity` as `desk`'s key. */
const keepIdentity = (desk, identity) => localStorage.setItem(keyStorage(desk), base64url(identity.file()));

/** The bytes of the file chosen in `input`. */
async function chosenFile(input) {
  const file = input.files[0];
  if (!file) throw new WireError("no_file", "no file chosen");
  return new Uint8Array(await file.arrayBuffer());
}

// ---- The outcome line and actions ----------------------------------------------------------

/**
 * The signed command whose sending got no answer, kept so that the same bytes can be sent again:
 * `{body, say, applied}`. It is also kept in this tab's session storage (its body, and whose
 * receipt `applied` keeps), so that a reload does not lose it.
 */
let unsent = null;
/** Where this tab keeps the unsent command across reloads. */
const UNSENT_STORAGE = "sealbid-unsent";

/** Keeps `pending` (or nothing, for `null`) as the command to send again, in the page and the tab. */
function keepUnsent(pending) {
  unsent = pending;
  if (pending === null) sessionStorage.removeItem(UNSENT_STORAGE);
  else sessionStorage.setItem(UNSENT_STORAGE, JSON.stringify({ body: pending.body, receipt: pending.applied?.receipt ?? null }));
}

/** Offers the unsent command again in the outcome line, once a page is shown: the one in the page, or the one a reload found in the tab. */
function offerUnsent() {
  const stored = sessionStorage.getItem(UNSENT_STORAGE);
  if (unsent === null && stored !== null) {
    const { body, receipt } = JSON.parse(stored);
    const applied = receipt ? keepingReceipt({ text: receipt.identity }, receipt.summary) : undefined;
    unsent = { body, say: () => text("said_kept_applied"), applied };
  }
  if (unsent !== null) report("failed", text("kept_unsent"));
}
document.addEventListener("DOMContentLoaded", offerUnsent);
// After portal.js has cleared the outcome line for the new page.
window.addEventListener("hashchange", offerUnsent);
/** How many outcomes were reported: the outcome line's `data-sequence`. */
let outcomes = 0;

/** Shows `sentence` in the outcome line, in `state` (`done`, `failed` or `working`), with the node's `detail` as its title. */
function report(state, sentence, detail = "") {
  const line = document.getElementById("outcome");
  outcomes += 1;
  line.replaceChildren(sentence);
  line.title = detail;
  line.dataset.state = state;
  line.dataset.sequence = String(outcomes);
  if (state === "failed" && unsent !== null) {
    const again = element("button", { type: "button", id: "send-again" }, text("send_again"));
    const pending = unsent;
    again.addEventListener("click", () => act(async () => {
      let answer;
      try {
        answer = await sendCommand(pending.body);
      } catch (error) {
        if (error instanceof Refused && error.retryable) keepUnsent(pending);
        throw error;
      }
      pending.applied?.({ answer, body: pending.body });
      return describe(answer, pending.say);
    }));
    line.append(" ", again);
  }
}

/** Runs `work` (a press of a button), re-renders the desk if it was done, and reports its sentence. */
async function act(work) {
  // A command kept for sending again belongs to the failure reported last; a new action forgets it.
  keepUnsent(null);
  report("working", text("working"));
  let state = "done";
  let sentence;
  let detail = "";
  try {
    sentence = await work();
  } catch (error) {
    state = "failed";
    sentence = failureSentence(error);
    // The node's own words, in English, for whoever reads the sentence in another language.
    if (error instanceof Refused) detail = error.message;
  }
  // A failure leaves the page as it was, with what was typed; a success shows the new state.
  if (state === "done") await show();
  report(state, sentence, detail);
}

/** What `say` says of an applied command's ledger response, with its audit entry. */
function describe(answer, say) {
  const entry = filled(answer.replayed ? "entry_replayed" : "entry", { index: answer.audit_index });
  return `${say(answer.response ?? {})} (${entry})`;
}

/** A sentence of the texts: `key` filled from `values`, for a command's outcome. */
const saying = (key, values) => () => filled(key, values);

/**
 * Signs `action` with `identity`, sends it (with `envelope`); once applied, runs `applied` (with
 * the answer and the body sent) and gives the answer, the body and the sentence `say` makes of
 * the ledger's response. A command that got no answer is kept, so that the same signed bytes can
 * be sent again (§9.4), and `applied` runs when they are.
 */
async function command(identity, action, say, envelope, applied) {
  const body = { ...(await signCommand(identity, action)), ...(envelope ? { envelope } : {}) };
  try {
    const answer = await sendCommand(body);
    keepUnsent(null);
    applied?.({ answer, body });
    return { answer, body, sentence: describe(answer, say) };
  } catch (error) {
    keepUnsent(error instanceof Refused && error.retryable ? { body, say, applied } : null);
    throw error;
  }
}

// ---- Building blocks -----------------------------------------------------------------------

/** A button `id` labelled `label` running `work` as an action. */
function button(id, label, work) {
  const node = element("button", { type: "button", id }, text(label));
  node.addEventListener("click", () => act(work));
  return node;
}

/** A labelled input. */
function field(id, label, attributes = {}) {
  return element("label", { for: id }, text(label), element("input", { id, ...attributes }));
}

/** A labelled select of `options` (`[value, label]`). */
function choice(id, label, options) {
  return element("label", { for: id }, text(label),
    element("select", { id }, ...options.map(([value, shown]) => element("option", { value }, shown))));
}

/** The value of the input or select `id`, trimmed. */
const valueOf = (id) => document.getElementById(id).value.trim();

/** A text the ledger takes, or a thrown reason naming `label`. */
function requiredText(id, label) {
  const value = valueOf(id);
  if (value === "") throw new Error(`${text(label)}: ${text("required")}`);
  return value;
}

/** Yuan as typed ("1,234,567.89") in fen, exactly; at least one fen. */
function fenOf(typed, label) {
  const cleaned = typed.replace(/[,\s¥]/g, "");
  const match = cleaned.match(/^(\d{1,14})(?:\.(\d{1,2}))?$/);
  if (!match) throw new Error(`${text(label)}: ${text("amount_hint")}`);
  const fen = Number(match[1]) * 100 + Number((match[2] ?? "").padEnd(2, "0"));
  if (!Number.isSafeInteger(fen) || fen < 1) throw new Error(`${text(label)}: ${text("out_of_range")}`);
  return fen;
}

/** A whole number typed into `id` (`null` when empty and `optional`). */
function wholeOf(id, label, optional = false) {
  const value = valueOf(id);
  if (value === "" && optional) return null;
  if (!/^\d{1,15}$/.test(value)) throw new Error(`${text(label)}: ${text("whole_number")}`);
  return Number(value);
}

/** A China Standard Time instant typed as `YYYY-MM-DD HH:MM[:SS]`, in ms since the epoch. */
function instantOf(id, label, optional = false) {
  const value = valueOf(id);
  if (value === "" && optional) return null;
  const match = value.match(/^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/);
  if (!match) throw new Error(`${text(label)}: ${text("instant_hint")}`);
  const [, year, month, day, hour, minute, second] = match.map(Number);
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || (second || 0) > 59) throw new Error(`${text(label)}: ${text("instant_hint")}`);
  const ms = Date.UTC(year, month - 1, day, hour - 8, minute, second || 0);
  if (new Date(ms + 8 * 3600 * 1000).getUTCDate() !== day) throw new Error(`${text(label)}: ${text("no_such_date")}`);
  return ms;
}

/** Every tender of `query` on `/v1/tenders`, following the pages. */
const allTenders = (query) => readPages(`/v1/tenders?${query}&count=100`);

/** The desk's heading and its key section: make, import, export or forget the key. */
function keySection(desk, identity) {
  const section = element("section", { id: "key" }, element("h2", {}, text("key")));
  if (identity) {
    const exported = element("a", {
      id: "key-export", download: `sealbid-${desk}-key.pk8`,
      href: `data:application/octet-stream;base64,${base64(identity.file())}`,
    }, text("key_export"));
    section.append(element("p", {}, text("your_key"), " ", element("code", { id: "public-key", class: "key" }, identity.text)),
      element("p", {}, exported, " ", button("key-forget", "key_forget", async () => {
        localStorage.removeItem(keyStorage(desk));
        return text("key_forgotten");
      })));
  } else {
    const file = element("input", { type: "file", id: "key-file" });
    file.addEventListener("change", () => act(async () => {
      keepIdentity(desk, await Identity.fromFile(await chosenFile(file)));
      return text("key_imported");
    }));
    section.append(element("p", { id: "public-key" }, text("no_key")),
      element("p", {}, button("key-new", "key_new", async () => {
        keepIdentity(desk, await Identity.generate());
        return text("key_made");
      }), " ", element("label", { for: "key-file" }, text("key_import"), " ", file)));
  }
  section.append(element("p", { class: "hint" }, text("key_note")));
  return section;
}

/** The reader as the ledger knows it: name and roles. */
function whoSection(me) {
  const participant = me.participant;
  return element("section", { id: "who" }, element("p", {},
    participant ? `${participant.name} · ${text("roles")}: ${participant.roles.join(", ") || "—"}` : text("not_registered")));
}

// ---- Bidder --------------------------------------------------------------------------------

/** Where the bidder's receipts are kept, per key. */
const receiptStorage = (identity) => `sealbid-receipts-${identity.text}`;
/** The receipts this browser keeps for `identity`, oldest first. */
const keptReceipts = (identity) => JSON.parse(localStorage.getItem(receiptStorage(identity)) ?? "[]");

/** What keeps the receipt of an applied command (`summary` says what it was), for [`command`]. */
const keepingReceipt = (identity, summary) => Object.assign((sent) => {
  const receipts = keptReceipts(identity);
  receipts.push({ ...summary, audit_index: sent.answer.audit_index, leaf_hash: sent.answer.leaf_hash, entry: sent.answer.entry, payload: sent.body.payload });
  localStorage.setItem(receiptStorage(identity), JSON.stringify(receipts));
}, { receipt: { identity: identity.text, summary } });

/** The registration: its status, and the application form when the key may apply. */
function registrationSection(identity, me) {
  const registration = me.participant?.registration;
  const section = element("section", { id: "registration" }, element("h2", {}, text("registration")));
  const status = registration?.status;
  const said = { pending: text("pending"), approved: `${text("approved")}${me.participant?.name}`,
    rejected: `${text("rejected")}${registration?.reason}`, revoked: `${text("revoked")}${registration?.reason}` };
  section.append(element("p", { id: "registration-status", "data-status": status ?? "none" }, said[status] ?? text("not_registered")));
  if (status === "pending" || status === "approved") return section;
  section.append(field("organisation", "organisation"), field("credit-code", "credit_code", { maxlength: "18" }),
    button("register", "register", async () => {
      const organisation = requiredText("organisation", "organisation");
      const action = { register_bidder: { credit_code: requiredText("credit-code", "credit_code"), organisation } };
      return (await command(identity, action, saying("said_applied", { organisation }))).sentence;
    }));
  return section;
}

/** The bid form: tender, lot, price (and tonnes for coal/coke); submit, replace, withdraw. */
function bidSection(identity, bidding) {
  const section = element("section", { id: "bid" }, element("h2", {}, text("bid")));
  if (bidding.length === 0) return section.append(element("p", {}, text("no_bidding"))), section;
  const tenders = choice("bid-tender", "tender", bidding.map((tender) => [tender.id, `${tender.id} ${tender.spec.title}`]));
  const lots = element("select", { id: "bid-lot" });
  const tonnes = field("bid-tonnes", "tonnes", { inputmode: "numeric" });
  const showLots = () => {
    const tender = bidding.find((candidate) => candidate.id === tenders.querySelector("select").value);
    lots.replaceChildren(...tender.spec.lots.map((lot) => element("option", { value: lot.id }, `${lot.id} ${lot.title}`)));
    tonnes.querySelector("input").disabled = tender.spec.market !== "coal_coke";
  };
  tenders.querySelector("select").addEventListener("change", showLots);
  const chosen = () => bidding.find((tender) => tender.id === valueOf("bid-tender"));
  const sealed = async (kind) => {
    const tender = chosen();
    const lot = valueOf("bid-lot");
    const price = fenOf(valueOf("bid-price"), "price_yuan");
    const offer = { bidder: identity.text, lot, price_fen: price, tender: tender.id };
    if (tender.spec.market === "coal_coke") offer.quantity_tonnes = wholeOf("bid-tonnes", "tonnes");
    const envelope = await sealOffer(tender.opening_key, "bid", identity.text, offer);
    const action = { [kind]: { envelope_sha256: await envelopeDigest(envelope), lot, tender: tender.id } };
    const said = kind === "submit_bid" ? "said_bid" : "said_replaced";
    const keep = keepingReceipt(identity, { action: kind, tender: tender.id, lot });
    return (await command(identity, action, saying(said, { tender: tender.id, lot, price: yuan(price) }), envelope, keep)).sentence;
  };
  section.append(tenders, element("label", { for: "bid-lot" }, text("lot"), lots),
    field("bid-price", "price_yuan", { inputmode: "decimal" }), tonnes,
    element("p", {}, button("bid-submit", "submit", () => sealed("submit_bid")), " ",
      button("bid-replace", "replace", () => sealed("replace_bid")), " ",
      button("bid-withdraw", "withdraw", async () => {
        const tender = valueOf("bid-tender");
        const lot = valueOf("bid-lot");
        const keep = keepingReceipt(identity, { action: "withdraw_bid", tender, lot });
        return (await command(identity, { withdraw_bid: { lot, tender } }, saying("said_withdrawn", { tender, lot }), undefined, keep)).sentence;
      })));
  showLots();
  return section;
}

/** The bids the ledger holds for the reader in open tenders. */
function heldSection(me) {
  return element("section", { id: "held" }, element("h2", {}, text("held")),
    table(["tender", "lot", "audit_index"], me.bids.map((held) => ({
      attributes: { "data-tender": held.tender, "data-lot": held.lot },
      cells: [tenderLink(held.tender), held.lot, held.audit_index],
    }))));
}

/** The kept receipts, each verifiable against the trusted log key. */
function receiptsSection(identity) {
  const trusted = localStorage.getItem("sealbid-log-key") ?? "";
  const section = element("section", { id: "receipts" }, element("h2", {}, text("receipts")),
    field("log-key", "log_key", { value: trusted, size: "70" }),
    button("log-key-save", "save", async () => {
      await parseVerifierKey(valueOf("log-key"));
      localStorage.setItem("sealbid-log-key", valueOf("log-key"));
      return text("save");
    }));
  const rows = keptReceipts(identity).map((kept) => {
    const verdict = element("span", { class: "verdict" }, "");
    const check = element("button", { type: "button", class: "verify" }, text("verify"));
    check.addEventListener("click", async () => {
      try {
        verdict.textContent = filled("verified", { size: await verifyReceipt(kept, localStorage.getItem("sealbid-log-key") ?? "") });
        verdict.dataset.state = "verified";
      } catch (error) {
        verdict.textContent = error.message;
        verdict.dataset.state = "failed";
      }
    });
    return { attributes: { "data-index": String(kept.audit_index) }, cells: [kept.audit_index, kept.action, kept.tender, kept.lot, element("span", {}, check, " ", verdict)] };
  });
  section.append(table(["audit_index", "action", "tender", "lot", "verify"], rows));
  return section;
}

/** The bidder's desk. */
async function bidderDesk() {
  const identity = await heldIdentity("bidder");
  const sections = [element("h1", {}, text("bidder_desk")), keySection("bidder", identity)];
  if (!identity) return sections;
  const [me, open] = await Promise.all([signedRead(identity, "/v1/me"), allTenders("status=open")]);
  const bidding = open.filter((tender) => tender.phase === "bidding" && tender.suspended_since_ms === null);
  sections.push(registrationSection(identity, me), bidSection(identity, bidding), heldSection(me), receiptsSection(identity));
  return sections;
}

// ---- Office --------------------------------------------------------------------------------

/** One row of lot fields in the publishing form. */
function lotRow() {
  return element("div", { class: "lot-row" },
    ...[["lot-id", "lot_id"], ["lot-title", "lot_title"], ["lot-ceiling", "ceiling_yuan"], ["lot-quantity", "quantity"], ["lot-size", "lot_size"]]
      .map(([name, label]) => element("label", {}, text(label), element("input", { class: name }))));
}

/** The lots typed into the publishing form. */
function typedLots() {
  return Array.from(document.querySelectorAll(".lot-row")).map((row) => {
    const typed = (name) => row.querySelector(`.${name}`).value.trim();
    const lot = { id: typed("lot-id"), title: typed("lot-title") };
    if (typed("lot-ceiling") !== "") lot.ceiling_price_fen = fenOf(typed("lot-ceiling"), "ceiling_yuan");
    for (const [name, member] of [["lot-quantity", "quantity_tonnes"], ["lot-size", "lot_size_tonnes_min"]]) {
      if (typed(name) === "") continue;
      if (!/^\d{1,15}$/.test(typed(name))) throw new Error(`${text(name === "lot-size" ? "lot_size" : "quantity")}: ${text("whole_number")}`);
      lot[member] = Number(typed(name));
    }
    return lot;
  }).filter((lot) => lot.id !== "" || lot.title !== "");
}

/** The publishing form. */
function publishSection(identity) {
  const lots = element("div", { id: "lots" }, lotRow());
  const addLot = element("button", { type: "button", id: "add-lot" }, text("add_lot"));
  addLot.addEventListener("click", () => lots.append(lotRow()));
  const markets = Object.keys(TEXT.en.markets).map((market) => [market, named("markets", market)]);
  return element("section", { id: "publish" }, element("h2", {}, text("publish")),
    field("publish-title", "title", { size: "60" }), choice("publish-market", "market", markets), lots,
    element("p", {}, addLot),
    field("publish-deadline", "deadline_cst"), field("publish-notice-days", "notice_days", { value: "0" }),
    field("publish-valid-min", "valid_min", { value: "3" }),
    element("label", { for: "publish-committee" }, text("committee"), element("textarea", { id: "publish-committee", rows: "3", cols: "60" })),
    field("publish-threshold", "threshold"), field("publish-validity", "validity_days"),
    button("publish-tender", "publish", async () => {
      const spec = {
        title: requiredText("publish-title", "title"), market: valueOf("publish-market"), lots: typedLots(),
        deadline_ms: instantOf("publish-deadline", "deadline_cst"),
        notice_period_ms: wholeOf("publish-notice-days", "notice_days") * 86_400_000,
        valid_bids_min: wholeOf("publish-valid-min", "valid_min"),
        committee: valueOf("publish-committee").split(/\s+/).filter((key) => key !== ""),
        threshold: wholeOf("publish-threshold", "threshold"),
      };
      const validity = wholeOf("publish-validity", "validity_days", true);
      if (validity !== null) spec.bid_validity_days = validity;
      const published = (response) => filled("said_published", { tender: response.tender_published?.tender });
      return (await command(identity, { publish_tender: spec }, published)).sentence;
    }));
}

/** The actions open to the office on `tender`, by phase. */
function tenderActions(identity, tender, opened) {
  const id = tender.id;
  const run = (action, sentence) => async () => (await command(identity, action, sentence)).sentence;
  const actions = element("div", { class: "actions", "data-tender": id });
  const phase = tender.phase;
  if (phase === "key_generation") actions.append(button("finish-keygen", "finish_keygen", run({ finish_key_generation: { tender: id } }, saying("said_keygen", { tender: id }))));
  if (phase === "bidding") {
    actions.append(field("amend-notice", "notice", { size: "50" }), field("amend-deadline", "new_deadline"),
      button("amend", "amend", async () => {
        const action = { amend_tender: { notice: requiredText("amend-notice", "notice"), tender: id } };
        const deadline = instantOf("amend-deadline", "new_deadline", true);
        if (deadline !== null) action.amend_tender.deadline_ms = deadline;
        const amended = (response) => filled("said_amended", { tender: id, deadline: response.tender_amended ? chinaTime(response.tender_amended.deadline_ms) : "—" });
        return (await command(identity, action, amended)).sentence;
      }));
    if (["land_use_right", "property_rights"].includes(tender.spec.market)) {
      actions.append(choice("reserve-lot", "lot", tender.spec.lots.map((lot) => [lot.id, `${lot.id} ${lot.title}`])),
        field("reserve-price", "reserve_yuan"), button("reserve", "reserve", async () => {
          const lot = valueOf("reserve-lot");
          const offer = { lot, price_fen: fenOf(valueOf("reserve-price"), "reserve_yuan"), tender: id };
          const envelope = await sealOffer(tender.opening_key, "reserve_price", identity.text, offer);
          return (await command(identity, { seal_reserve_price: { envelope, lot, tender: id } }, saying("said_reserve", { tender: id, lot }))).sentence;
        }));
    }
    actions.append(button("close", "close", run({ close_tender: { tender: id } }, saying("said_closed", { tender: id }))));
  }
  if (phase === "closed") actions.append(button("open", "open", async () => {
    const opened = (response) => filled("said_opened", { tender: id, ...response.tender_opened });
    return (await command(identity, { open_tender: { tender: id } }, opened)).sentence;
  }));
  if (phase === "opened" || phase === "publicity") {
    const priced = opened.filter((bid) => bid.status === "valid");
    if (priced.length > 0) actions.append(choice("disqualify-bid", "bid", priced.map((bid) => [`${bid.lot} ${bid.bidder}`, `${bid.lot} · ${bid.name} · ${yuan(bid.price_fen)}`])),
      field("disqualify-reason", "reason", { size: "50" }), button("disqualify", "disqualify", async () => {
        const [lot, bidder] = valueOf("disqualify-bid").split(" ");
        const action = { disqualify_bid: { bidder, lot, reason: requiredText("disqualify-reason", "reason"), tender: id } };
        return (await command(identity, action, saying("said_disqualified", { tender: id, lot }))).sentence;
      }));
    if (phase === "opened" && ["procurement", "construction"].includes(tender.spec.market)) {
      actions.append(button("publish-candidates", "publish_candidates", run({ publish_candidates: { tender: id } }, saying("said_candidates", { tender: id }))));
    }
    actions.append(button("award", "award", run({ award_tender: { tender: id } }, saying("said_awarded", { tender: id }))));
  }
  actions.append(field("cancel-reason", "reason", { size: "50" }), button("cancel", "cancel", async () => {
    const action = { cancel_tender: { reason: requiredText("cancel-reason", "reason"), tender: id } };
    return (await command(identity, action, saying("said_cancelled", { tender: id }))).sentence;
  }));
  return actions;
}

/** The office's tenders, and the actions on the one chosen. */
async function officeTenders(identity) {
  const tenders = await allTenders(`status=open&office=${encodeURIComponent(identity.text)}`);
  const section = element("section", { id: "my-tenders" }, element("h2", {}, text("my_tenders")),
    table(["tender", "title", "phase", "deadline"], tenders.map((tender) => ({
      attributes: { "data-tender": tender.id, "data-phase": tender.phase },
      cells: [tenderLink(tender.id), tender.spec.title, named("phases", tender.phase), chinaTime(tender.deadline_ms)],
    }))));
  if (tenders.length === 0) return section;
  const selected = sessionStorage.getItem("sealbid-office-tender");
  const tender = tenders.find((candidate) => candidate.id === selected) ?? tenders[tenders.length - 1];
  const picker = choice("act-tender", "act", tenders.map((candidate) => [candidate.id, `${candidate.id} ${candidate.spec.title}`]));
  picker.querySelector("select").value = tender.id;
  picker.querySelector("select").addEventListener("change", () => {
    sessionStorage.setItem("sealbid-office-tender", valueOf("act-tender"));
    show();
  });
  let opened = [];
  if (tender.phase === "opened" || tender.phase === "publicity") {
    const [bids, opening] = await Promise.all([
      read(`/v1/tenders/${tender.id}/bids`), allNotices(`&tender=${tender.id}&kind=opening`),
    ]);
    // Bidders are named by the opening record, which the information service published.
    const names = new Map(opening.flatMap((notice) => notice.content.opening.bids.map((line) => [line.bidder, line.name])));
    opened = (bids.opened?.bids ?? []).map((bid) => ({ ...bid, name: names.get(bid.bidder) ?? bid.bidder }));
    const status = (bid) => {
      if (bid.status === "valid") return text("valid");
      const [kind, { reason }] = Object.entries(bid.status)[0];
      return `${text(kind === "disqualified" ? "disqualified" : "invalid")}: ${reason}`;
    };
    section.append(element("h2", {}, text("opened_bids")), table(["lot", "bidder", "price", "status"], opened.map((bid) => ({
      attributes: { "data-lot": bid.lot },
      cells: [bid.lot, bid.name, bid.price_fen === undefined ? "—" : yuan(bid.price_fen), status(bid)],
    })), [2]));
  }
  section.append(picker, tenderActions(identity, tender, opened));
  return section;
}

/** The office's desk. */
async function officeDesk() {
  const identity = await heldIdentity("office");
  const sections = [element("h1", {}, text("office_desk")), keySection("office", identity)];
  if (!identity) return sections;
  sections.push(whoSection(await signedRead(identity, "/v1/me")), await officeTenders(identity), publishSection(identity));
  return sections;
}

// ---- Committee -----------------------------------------------------------------------------

/** The member's share of `tender`'s opening key: its qualified dealers' shares to it, summed (§5.5). */
async function ownShare(identity, tender, encryption) {
  const generation = await read(`/v1/tenders/${tender}/key-generation`);
  const position = generation.members.indexOf(identity.text);
  if (position < 0) throw new WireError("not_on_committee", `this key is not on the committee of ${tender}`, { tender });
  if (!generation.outcome) throw new WireError("no_opening_key", `${tender} has no opening key yet`, { tender });
  const member = position + 1;
  const recipient = fromBase64url(generation.parameters.member_keys[position]);
  let sum = 0n;
  for (const dealer of generation.outcome.qualified_dealers) {
    const dealing = generation.dealings.find((candidate) => candidate.dealer === dealer);
    const context = { bidder: String(dealer), kind: "committee_share", lot: String(member), tender: generation.parameters.session };
    const share = await openEnvelope(encryption, recipient, context, dealing.shares[position]);
    if (share.length !== 32) throw new WireError("share_not_scalar", `dealer ${dealer}'s share is not a scalar`, { dealer });
    sum = (sum + integerOf(share)) % P256.order;
  }
  if (sum === 0n) throw new WireError("shares_sum_zero", "the shares sum to zero");
  return { member, session: generation.parameters.session, share: base64url(bytesOf(sum)) };
}

/** The committee member's desk: its encryption key file and the tenders whose key it holds a share of. */
async function committeeDesk() {
  const identity = await heldIdentity("committee");
  const sections = [element("h1", {}, text("committee_desk")), keySection("committee", identity)];
  if (!identity) return sections;
  const encryption = localStorage.getItem("sealbid-encryption-key");
  const file = element("input", { type: "file", id: "encryption-file" });
  file.addEventListener("change", () => act(async () => {
    const bytes = await chosenFile(file);
    if (bytes.length !== 32) throw new WireError("encryption_file_size", `${bytes.length} bytes; an encryption key file holds 32 (made by \`sealbid committee keygen\`)`, { bytes: bytes.length });
    localStorage.setItem("sealbid-encryption-key", base64url(bytes));
    return text("encryption_loaded");
  }));
  sections.push(element("section", { id: "encryption" },
    element("p", { id: "encryption-status" }, encryption ? text("encryption_loaded") : text("none_yet")),
    element("label", { for: "encryption-file" }, text("encryption_key"), " ", file)));
  const tenders = (await allTenders("status=open")).filter((tender) => tender.spec.committee.includes(identity.text));
  const rows = tenders.map((tender) => {
    const member = tender.spec.committee.indexOf(identity.text) + 1;
    const proved = tender.readiness?.[String(member)];
    const cells = [tenderLink(tender.id), tender.spec.title, named("phases", tender.phase), member,
      proved ? chinaTime(proved.proved_at_ms) : "—", `${tender.shares_released} / ${tender.spec.threshold}`];
    if (tender.phase === "bidding" && encryption) {
      // While bids are taken: a proof that the share is still held, for the deadline in force (§5.6.1).
      const prove = button(`prove-${tender.id}`, "prove", async () => {
        const share = await ownShare(identity, tender.id, fromBase64url(encryption));
        const readiness = await readinessProof(share, tender.deadline_ms);
        const said = saying("said_proved", { tender: tender.id, member, deadline: chinaTime(tender.deadline_ms) });
        return (await command(identity, { prove_readiness: { readiness, tender: tender.id } }, said)).sentence;
      });
      cells.push(prove);
    } else if (tender.phase === "closed" && encryption) {
      const release = button(`release-${tender.id}`, "release", async () => {
        const share = await ownShare(identity, tender.id, fromBase64url(encryption));
        const released = (response) => filled("said_released", { tender: tender.id, valid: response.share_accepted?.valid_shares, threshold: response.share_accepted?.threshold });
        return (await command(identity, { release_share: { share, tender: tender.id } }, released)).sentence;
      });
      cells.push(release);
    } else {
      cells.push("—");
    }
    return { attributes: { "data-tender": tender.id }, cells };
  });
  sections.push(element("section", { id: "committees" }, element("h2", {}, text("my_committees")),
    table(["tender", "title", "phase", "member", "readiness", "shares", "act"], rows)));
  return sections;
}

// ---- Supervisor ----------------------------------------------------------------------------

/** The live stream's reader, stopped when the page leaves the desk. */
let watcher = null;

/** Reads the supervision stream from `from` into the table, resuming after each signature's end. */
async function watch(identity, from, onEntry, onState) {
  const controller = new AbortController();
  watcher = controller;
  let next = from;
  // Failures in a row; a stream that ended as streams do (its signature's end) resets it.
  for (let failures = 0; failures < 100 && !controller.signal.aborted;) {
    let ended = false;
    try {
      const answer = await signedFetch(identity, `/v1/supervision/stream?from=${next}`, { signal: controller.signal });
      if (!answer.ok) throw new Error(`${answer.status}`);
      onState(filled("watching", { from: next }));
      const reader = answer.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
          const fields = Object.fromEntries(buffer.slice(0, end).split("\n").filter((line) => !line.startsWith(":"))
            .map((line) => [line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 1).trimStart()]));
          buffer = buffer.slice(end + 2);
          if (fields.event === "entry") {
            const entry = JSON.parse(fields.data);
            next = entry.index + 1;
            onEntry(entry);
          } else if (fields.event === "end" || fields.event === "error") {
            next = JSON.parse(fields.data).next;
            ended = fields.event === "end";
          }
        }
      }
    } catch {
      if (controller.signal.aborted) return;
    }
    failures = ended ? 0 : failures + 1;
    if (!ended) {
      onState(text("stream_stopped"));
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
}

/** The warnings table and the disposition form. */
function warningsSection(identity, warnings) {
  const rows = warnings.map((warning) => ({
    attributes: { "data-warning": warning.id, "data-indicator": warning.indicator, "data-level": warning.level },
    cells: [warning.id, named("levels", warning.level), warning.indicator, warning.tender ?? "—", warning.lot ?? "—",
      chinaTime(warning.raised_at_ms), warning.dispositions.map((disposition) => text(disposition.disposition)).join(", ") || "—"],
  }));
  const section = element("section", { id: "warnings" }, element("h2", {}, text("warnings")),
    table(["warning", "level", "indicator", "tender", "lot", "time", "dispositions"], rows));
  if (warnings.length === 0) return section;
  section.append(
    choice("dispose-warning", "warnings", warnings.map((warning) => [`${warning.tender ?? ""} ${warning.id}`, `${warning.id} ${warning.indicator}`])),
    choice("dispose-disposition", "dispose", ["acknowledge", "dismiss", "escalate"].map((name) => [name, text(name)])),
    field("dispose-reason", "reason", { size: "50" }),
    button("dispose", "dispose", async () => {
      const [tender, warning] = valueOf("dispose-warning").split(" ");
      const action = { dispose_warning: { disposition: valueOf("dispose-disposition"), reason: requiredText("dispose-reason", "reason"), warning } };
      if (tender !== "") action.dispose_warning.tender = tender;
      return (await command(identity, action, saying("said_disposed", { warning, disposition: text(valueOf("dispose-disposition")) }))).sentence;
    }));
  return section;
}

/** Suspending and resuming tenders. */
function suspensionSection(identity, open) {
  const choices = open.map((tender) => [tender.id, `${tender.id} ${tender.spec.title}${tender.suspended_since_ms ? ` (${text("suspended")})` : ""}`]);
  return element("section", { id: "suspensions" }, element("h2", {}, `${text("suspend")} / ${text("resume")}`),
    choice("suspend-tender", "tender", choices), field("suspend-reason", "reason", { size: "50" }),
    button("suspend", "suspend", async () => {
      const tender = valueOf("suspend-tender");
      return (await command(identity, { suspend_tender: { reason: requiredText("suspend-reason", "reason"), tender } }, saying("said_suspended", { tender }))).sentence;
    }),
    field("resume-deadline", "new_deadline"),
    button("resume", "resume", async () => {
      const tender = valueOf("suspend-tender");
      const action = { resume_tender: { tender } };
      const deadline = instantOf("resume-deadline", "new_deadline", true);
      if (deadline !== null) action.resume_tender.deadline_ms = deadline;
      const resumed = (response) => filled("said_resumed", { tender, deadline: response.tender_resumed ? chinaTime(response.tender_resumed.deadline_ms) : "—" });
      return (await command(identity, action, resumed)).sentence;
    }));
}

/** The complaints of open tenders, with the review and decision forms. */
function complaintsSection(identity, open) {
  const complaints = open.flatMap((tender) => tender.complaints.map((complaint) => ({ tender: tender.id, ...complaint })));
  const stage = (done) => (done ? "✓" : "—");
  const reviews = [["accepted_suspend", text("accepted_suspend")], ["accepted", text("accepted")], ["referred", text("referred")],
    ...["not_a_party", "no_grounds", "out_of_time", "already_decided", "incomplete", "other_proceedings"].map((reason) => [`not_accepted ${reason}`, `${text("not_accepted")}: ${reason}`])];
  const review = (chosen) => {
    if (chosen === "accepted_suspend") return { accepted: { suspend: true } };
    if (chosen === "accepted") return { accepted: { suspend: false } };
    if (chosen === "referred") return "referred";
    return { not_accepted: { reason: chosen.split(" ")[1] } };
  };
  const decision = (chosen) => (chosen === "dismissed" ? "dismissed" : { upheld: { handling: chosen } });
  const picked = () => valueOf("complaint").split(" ");
  const section = element("section", { id: "complaints" }, element("h2", {}, text("complaints")),
    table(["complaint", "tender", "kind", "published", "due", "review", "decide"], complaints.map((complaint) => ({
      attributes: { "data-complaint": complaint.id },
      cells: [complaint.id, complaint.tender, complaint.matter, chinaTime(complaint.filed_at_ms), chinaTime(complaint.review_due_ms), stage(complaint.review), stage(complaint.decision)],
    }))));
  if (complaints.length === 0) return section;
  section.append(
    choice("complaint", "complaint", complaints.map((complaint) => [`${complaint.tender} ${complaint.id}`, `${complaint.id} (${complaint.tender})`])),
    field("complaint-text", "review_text", { size: "50" }),
    choice("complaint-review", "review", reviews),
    button("review", "review", async () => {
      const [tender, complaint] = picked();
      const action = { review_complaint: { complaint, review: review(valueOf("complaint-review")), tender, text: requiredText("complaint-text", "review_text") } };
      return (await command(identity, action, saying("said_reviewed", { complaint }))).sentence;
    }),
    choice("complaint-decision", "decide", ["dismissed", "re_evaluate", "re_tender", "annul_award"].map((name) => [name, text(name)])),
    button("decide", "decide", async () => {
      const [tender, complaint] = picked();
      const action = { decide_complaint: { complaint, decision: decision(valueOf("complaint-decision")), tender, text: requiredText("complaint-text", "review_text") } };
      return (await command(identity, action, saying("said_decided", { complaint }))).sentence;
    }));
  return section;
}

/** An SVG element. */
function svg(name, attributes = {}, ...children) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  node.append(...children);
  return node;
}

/** Bars of each actor's steps done on time and overdue in the month's report. */
function performanceChart(performance) {
  const rowHeight = 28;
  const width = 640;
  const label = 220;
  const most = Math.max(1, ...performance.actors.map((actor) => actor.total.count));
  const scale = (count) => ((width - label - 60) * count) / most;
  const bars = performance.actors.flatMap((actor, row) => {
    const y = row * rowHeight + 4;
    const onTime = scale(actor.total.on_time);
    return [
      svg("text", { x: 0, y: y + 16, class: "chart-label" }, actor.name ?? (actor.actor === "supervisors" ? text("supervisor_desk") : actor.actor.slice(0, 20))),
      svg("rect", { x: label, y, width: onTime, height: rowHeight - 8, class: "on-time" }),
      svg("rect", { x: label + onTime, y, width: scale(actor.total.overdue), height: rowHeight - 8, class: "overdue" }),
      svg("text", { x: label + onTime + scale(actor.total.overdue) + 6, y: y + 16, class: "chart-label" }, `${actor.total.on_time} / ${actor.total.count}`),
    ];
  });
  return svg("svg", { id: "performance-chart", viewBox: `0 0 ${width} ${Math.max(1, performance.actors.length) * rowHeight + 8}`, role: "img" }, ...bars);
}

/** The month's performance report: the chart, then the cases running late. */
async function performanceSection() {
  const month = sessionStorage.getItem("sealbid-month") ?? new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 7);
  const performance = await read(`/v1/performance?month=${month}`);
  const picker = field("performance-month", "month", { value: month, size: "7" });
  picker.querySelector("input").addEventListener("change", () => {
    const typed = valueOf("performance-month");
    if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(typed)) {
      report("failed", `${text("month")}: YYYY-MM`);
      return;
    }
    sessionStorage.setItem("sealbid-month", typed);
    show();
  });
  return element("section", { id: "performance" }, element("h2", {}, `${text("performance")} · ${month}`), picker,
    element("p", { class: "legend" }, element("span", { class: "on-time-key" }, text("on_time")), " ", element("span", { class: "overdue-key" }, text("overdue"))),
    performanceChart(performance),
    element("h2", {}, text("running_late")),
    table(["office", "act", "tender", "due"], performance.running_late.map((late) => ({
      cells: [late.name ?? late.actor, late.step, late.tender ?? "—", chinaTime(late.due_ms)],
    }))));
}

/** The supervisor's desk: the live stream, warnings, suspensions, complaints, performance. */
async function supervisorDesk() {
  const identity = await heldIdentity("supervisor");
  const sections = [element("h1", {}, text("supervisor_desk")), keySection("supervisor", identity)];
  if (!identity) return sections;
  let warnings;
  try {
    warnings = await signedRead(identity, "/v1/supervision/warnings");
  } catch (error) {
    if (error.status !== 403) throw error;
    return sections.concat(element("section", { id: "who" }, element("p", { class: "error" }, failureSentence(error))));
  }
  const [open, head] = await Promise.all([allTenders("status=open"), read("/v1/audit/head")]);
  const state = element("p", { id: "stream-state" }, "");
  const entries = element("tbody", {});
  const live = element("section", { id: "live" }, element("h2", {}, text("live")), state,
    element("div", { class: "live-entries" }, element("table", {}, element("thead", {}, element("tr", {}, ...["audit_index", "time", "entry_kind", "signer", "tender"].map((name) => element("th", {}, text(name))))), entries)));
  const warningsHolder = element("div", { id: "warnings-holder" }, warningsSection(identity, warnings.warnings));
  let refresh = null;
  const refreshWarnings = () => {
    clearTimeout(refresh);
    refresh = setTimeout(async () => {
      const latest = await signedRead(identity, "/v1/supervision/warnings").catch(() => null);
      if (latest) warningsHolder.replaceChildren(warningsSection(identity, latest.warnings));
    }, 300);
  };
  const size = head.size ?? 0;
  const start = () => watch(identity, Math.max(0, size - 20), (entry) => {
    entries.prepend(element("tr", { "data-index": String(entry.index), "data-kind": entry.kind },
      element("td", {}, entry.index), element("td", {}, chinaTime(entry.timestamp_ms)), element("td", {}, entry.kind),
      element("td", {}, entry.signer_name ?? entry.signer ?? "—"), element("td", {}, entry.tender ?? "—")));
    while (entries.children.length > 50) entries.lastChild.remove();
    // Any entry about a tender may raise or settle one of its warnings (a close, an opening, an
    // award, a lapse, a disposition); a fork report raises one about the log, and a disposition
    // of that one names no tender.
    if (entry.tender !== null || entry.kind === "report_log_fork" || entry.kind === "dispose_warning") refreshWarnings();
  }, (said) => { state.textContent = said; });
  sections.push(live, warningsHolder, suspensionSection(identity, open), complaintsSection(identity, open), await performanceSection());
  // The stream starts once these sections are shown, and not if another page came first.
  return Object.assign(sections, { start });
}

/** The desks by their address. */
const DESKS = { "#/bidder": bidderDesk, "#/office": officeDesk, "#/committee": committeeDesk, "#/supervisor": supervisorDesk };

/** Stops what a desk left running when the page shows another. */
function leaveDesk() {
  watcher?.abort();
  watcher = null;
}
