// What the desks say, in Chinese, of a refusal or a failure. The node's problems (protocol.md
// §9.3) carry an English `detail`; the page says each `code` in Chinese and keeps the detail as
// the outcome line's title. wire.js's checks fail with a `reason` (WireError), said here in
// Chinese; in English the page shows wire.js's own message. A code or reason not listed here is
// shown as the node or wire.js said it.
"use strict";

/** Each problem code a participant's command or read may meet, in Chinese. */
const PROBLEMS_ZH = {
  "malformed-command": "指令格式不正确", "envelope-missing": "缺少投标信封", "unexpected-envelope": "此指令不应附带信封",
  "bad-signature": "签名无效",
  "missing-role": "该密钥没有执行此操作的角色", "not-the-tenders-office": "只有发布该项目的招标人可以执行此操作",
  "not-that-committee-member": "签名者不是该编号的开标委员", "conflict-of-interest": "存在利益冲突，不得执行此操作",
  "registration-pending": "投标人登记尚待审核", "registration-rejected": "投标人登记已被驳回", "registration-revoked": "投标人登记已被撤销",
  "own-registration": "不得审核本单位的登记", "not-the-corrections-office": "只有该更正事项所属的招标人可以答复", "not-a-party": "不是该事项的当事人",
  "unknown-tender": "没有该项目", "unknown-lot": "该项目没有此标段", "no-bid": "该标段没有本单位的投标", "no-registration": "没有该投标人的登记",
  "no-such-opened-bid": "开标记录中没有该投标", "unknown-correction": "没有该更正事项", "unknown-warning": "没有该预警",
  "unknown-objection": "没有该异议", "unknown-complaint": "没有该投诉",
  "not-initialised": "平台尚未初始化", "already-initialised": "平台已经初始化", "replayed-nonce": "同一条指令已经执行过",
  "wrong-phase": "项目当前所处阶段不允许此操作", "late-bid": "投标截止时间已过，投标不予接收", "before-deadline": "投标截止时间尚未到",
  "duplicate-bid": "已在该标段投标，请改用替换投标", "duplicate-registration": "已经提交过登记", "incompatible-roles": "该密钥已有不能兼任的角色",
  "wrong-registration-status": "登记当前状态不允许此操作", "not-enough-shares": "有效密钥份额不足，尚不能开标",
  "tender-suspended": "项目已暂停", "tender-not-suspended": "项目没有暂停", "correction-answered": "更正事项已经答复",
  "warning-disposed": "预警已经处置", "award-held": "有未了结的异议或投诉，暂不能定标", "calendar-published": "该年度的日历已经发布",
  "calendar-not-published": "该年度的日历尚未发布", "publicity-running": "中标候选人公示期尚未届满", "objection-answered": "异议已经答复",
  "objection-pending": "还有待答复的异议", "objection-out-of-time": "已超过提出异议的期限", "not-lapsed": "期限尚未届满",
  "objection-required": "此事项须先提出异议，方可投诉", "objection-awaiting-answer": "异议尚在答复期内", "complaint-out-of-time": "已超过投诉期限",
  "duplicate-complaint": "已就同一事项投诉", "complaint-reviewed": "投诉已经审查", "complaint-not-accepted": "投诉未被受理",
  "complaint-decided": "投诉已经作出处理决定", "complaint-pending": "还有未处理完毕的投诉", "complaint-window-open": "投诉期尚未届满",
  "expired-command": "指令已过有效期，请重新操作", "expiry-too-far": "指令的有效期过长", "invalid-credit-code": "统一社会信用代码无效",
  "envelope-mismatch": "信封与指令中的摘要不符", "invalid-command": "指令内容无效", "empty-text": "文字不能为空", "control-character": "文字中含有控制字符",
  "limit-reached": "已达到数量上限", "committee-check-failed": "开标委员会的密码校验未通过", "envelope-erased": "信封已被清除",
  "arrival-out-of-window": "节点时钟与领导节点相差过大，请改用其他节点",
  "malformed-json": "请求不是格式正确的已签名消息", "malformed-query": "查询参数不正确", "signature-required": "此查询须签名",
  "bad-read-signature": "查询签名无效", "not-found": "没有该地址", "unknown-entry": "审计日志中没有该条目", "tender-not-final": "项目尚未结束",
  "proof-out-of-range": "没有该证明", "body-too-large": "请求内容过大", "unsupported-media-type": "请求内容不是 JSON",
  "too-many-requests": "请求过于频繁，请稍后用同一条指令重试", "request-timeout": "请求超时，请用同一条指令重试",
  "busy": "节点繁忙，请稍后用同一条指令重试", "no-leader": "集群正在选举领导节点，请稍后用同一条指令重试",
  "replication-failed": "复制失败，指令仍可能执行，请用同一条指令重试", "history-incomplete": "节点尚未取得完整的历史，请稍后重试",
  "storage-unavailable": "节点存储暂不可用，请稍后重试", "proof-unavailable": "节点尚无该证明，请稍后重试或询问其他节点",
  "outcome-unknown": "节点未能及时得到结果，指令可能已经执行，请用同一条指令重试",
  "internal-entry": "节点内部故障，请报告交易中心", "storage-damaged": "节点存储损坏，请报告交易中心",
  "encoding-failed": "节点内部故障，请报告交易中心", "signing-failed": "节点内部故障，请报告交易中心",
};

/** Each reason a check of wire.js or the desks fails with, in Chinese; `{name}` is filled from the failure's values. */
const REASONS_ZH = {
  no_answer: "节点没有答复（{cause}）", not_base64url: "不是 base64url 文本", not_integer: "{value} 不是协议能携带的整数",
  not_point: "不是 P-256 曲线点", not_on_curve: "该点不在 P-256 曲线上", not_scalar: "不是有效的标量",
  browser_key_form: "本浏览器导出 Ed25519 密钥的格式本页无法识别", key_file_mismatch: "密钥文件中的公钥与其种子不符",
  not_key_file: "不是 Ed25519 密钥文件（应为 `sealbid key new` 生成的 83 字节 PKCS#8 文件，此文件有 {bytes} 字节）",
  envelope_suite: "信封不是第 1 版加密套件", encryption_key_mismatch: "加密密钥不是该委员登记的密钥",
  envelope_closed: "信封无法打开", offer_too_long: "报价内容过长，无法密封",
  beyond_checkpoint: "该条目不在检查点的范围内", proof_too_long: "包含证明过长", proof_too_short: "包含证明过短",
  not_verifier_key: "不是验证密钥（名称+密钥编号+密钥）", verifier_key_base64: "验证密钥中的密钥不是 base64",
  not_note_key: "不是 Ed25519 签名注记密钥", verifier_key_id: "验证密钥的编号与其密钥不符",
  not_signed_note: "检查点不是签名注记", checkpoint_signature: "检查点的签名验证失败",
  checkpoint_unsigned: "检查点不是由该日志密钥签名的", checkpoint_size: "检查点没有树的大小",
  entry_not_leaf: "条目不是答复所指的叶子", entry_without_command: "条目中没有所签名的指令",
  other_log_key: "节点所用的日志密钥不是所信任的那一个", receipt_other_entry: "节点的回执属于另一个条目",
  receipt_other_log: "回执来自另一个日志", receipt_hash_length: "回执中有不是 32 字节的哈希值",
  proof_root: "包含证明得不到检查点的根哈希",
  no_file: "没有选择文件", not_on_committee: "该密钥不是 {tender} 开标委员会的成员", no_opening_key: "{tender} 还没有开标密钥",
  share_not_scalar: "出资人 {dealer} 的份额不是标量", shares_sum_zero: "份额之和为零",
  encryption_file_size: "{bytes} 字节；加密密钥文件应为 32 字节（由 `sealbid committee keygen` 生成）",
};

/** What a failure says in the page's language: a refusal with its code, or what went wrong. */
function failureSentence(error) {
  const zh = language === "zh";
  if (error instanceof Refused && error.code !== null) {
    return `${text("refused")} (${error.code}): ${(zh && PROBLEMS_ZH[error.code]) || error.message}`;
  }
  const reason = zh && error.reason ? REASONS_ZH[error.reason] : undefined;
  const said = reason ? reason.replace(/\{(\w+)\}/g, (_, name) => String(error.values?.[name])) : error.message;
  return `${text("failed_to")}: ${said}`;
}
