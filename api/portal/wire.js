// The portal's wire: what a participant's page signs, seals and checks, built on WebCrypto and
// following docs/protocol.md byte for byte. Encodings (§1), identity keys kept in this browser
// and their PKCS#8 files (§2), signed commands (§2.1, §10.2), sealed envelopes (§4, §10.3),
// signed reads (§9.10) and receipts checked against a signed checkpoint (§7, §8). Nothing here
// touches the page; desks.js puts it to work. Secrets (identity seeds, encryption keys,
// offers) never leave the browser: only signed commands and sealed envelopes are sent.
"use strict";

const encoder = new TextEncoder();
/** The UTF-8 bytes of `text`. */
const utf8 = (text) => encoder.encode(text);

/** `parts` (byte arrays or arrays of numbers) joined. */
function concat(...parts) {
  const joined = new Uint8Array(parts.reduce((length, part) => length + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return joined;
}

/** Bytes of the hexadecimal `text`. */
const fromHex = (text) => Uint8Array.from(text.match(/../g), (pair) => parseInt(pair, 16));

/** Whether two byte arrays hold the same bytes. */
function sameBytes(left, right) {
  return left.length === right.length && left.every((byte, index) => byte === right[index]);
}

/** A check of this file that failed: `reason` names it (the desks say it in the reader's language), the message says it in English. */
class WireError extends Error {
  constructor(reason, message, values = {}) {
    super(message);
    this.reason = reason;
    this.values = values;
  }
}

/** Standard base64 with padding (signed notes, read signatures). */
function base64(bytes) {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** base64url without padding (every binary value in JSON, §1). */
const base64url = (bytes) => base64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

/** Bytes of standard base64 `text`. */
function fromBase64(text) {
  const binary = atob(text);
  return Uint8Array.from(binary, (character) => character.charCodeAt(0));
}

/** Bytes of base64url `text` (no padding). */
function fromBase64url(text) {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) throw new WireError("not_base64url", "not base64url");
  const bytes = fromBase64(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4));
  // One text form per byte string (§1): non-zero trailing bits are refused.
  if (base64url(bytes) !== text) throw new WireError("not_base64url", "not base64url");
  return bytes;
}

/** RFC 8785 JSON of `value` (§1.1): members sorted by UTF-16 code units, integers only. */
function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const names = Object.keys(value).filter((name) => value[name] !== undefined).sort();
    return `{${names.map((name) => `${JSON.stringify(name)}:${canonical(value[name])}`).join(",")}}`;
  }
  if (typeof value === "number" && !Number.isSafeInteger(value)) throw new WireError("not_integer", `${value} is not an integer the protocol carries`, { value });
  return JSON.stringify(value);
}

/** SHA-256 of `bytes`. */
async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

// ---- P-256 (§3) ----------------------------------------------------------------------------

/** The curve's field prime, order and constant b. */
const P256 = {
  prime: 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
  order: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
};

/** `base` to the `exponent`, modulo `modulus`. */
function powerModulo(base, exponent, modulus) {
  let result = 1n;
  let square = base % modulus;
  for (let rest = exponent; rest > 0n; rest >>= 1n) {
    if (rest & 1n) result = (result * square) % modulus;
    square = (square * square) % modulus;
  }
  return result;
}

/** The big-endian integer of `bytes`. */
const integerOf = (bytes) => bytes.reduce((value, byte) => (value << 8n) | BigInt(byte), 0n);

/** `value` as 32 big-endian bytes. */
function bytesOf(value) {
  const bytes = new Uint8Array(32);
  let rest = value;
  for (let index = 31; index >= 0; index -= 1) {
    bytes[index] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return bytes;
}

/** The uncompressed form (65 bytes) of a SEC1 point, compressed or not; refuses one off the curve. */
function uncompressedPoint(point) {
  const { prime, b } = P256;
  if (point.length === 65 && point[0] === 4) return point;
  if (point.length !== 33 || (point[0] !== 2 && point[0] !== 3)) throw new WireError("not_point", "not a P-256 point");
  const x = integerOf(point.slice(1));
  if (x >= prime) throw new WireError("not_point", "not a P-256 point");
  const right = (((x * x) % prime) * x - 3n * x + b + 3n * prime) % prime;
  let y = powerModulo(right, (prime + 1n) / 4n, prime);
  if ((y * y) % prime !== right) throw new WireError("not_on_curve", "not a point on P-256");
  if ((y & 1n) !== BigInt(point[0] & 1)) y = prime - y;
  return concat([4], bytesOf(x), bytesOf(y));
}

/** The PKCS#8 document of a P-256 private scalar with no public key: this prefix, then the scalar. */
const P256_PKCS8_PREFIX = fromHex("3041020100301306072a8648ce3d020106082a8648ce3d030107042730250201010420");

/** x·G, compressed, for a scalar 1 ≤ x < n: the browser derives the public key of a private key imported without one. */
async function timesGenerator(scalar) {
  const key = await crypto.subtle.importKey("pkcs8", concat(P256_PKCS8_PREFIX, scalar), { name: "ECDSA", namedCurve: "P-256" }, true, ["sign"]);
  const jwk = await crypto.subtle.exportKey("jwk", key);
  const y = fromBase64url(jwk.y);
  return concat([2 + (y[31] & 1)], fromBase64url(jwk.x));
}

/** The generator G, compressed. */
const GENERATOR = fromHex("036b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296");

/** A scalar drawn uniformly from 1 … n − 1. */
function randomScalar() {
  for (;;) {
    const candidate = integerOf(crypto.getRandomValues(new Uint8Array(32)));
    if (candidate > 0n && candidate < P256.order) return candidate;
  }
}

/**
 * A knowledge proof (§5.2) of the scalar `secret` (32 bytes) for `statement` (bytes):
 * c = SHA-256(label ‖ len(statement) ‖ statement ‖ G ‖ X ‖ k·G) mod n, s = k + c·x mod n.
 */
async function knowledgeProof(secret, statement) {
  const x = integerOf(secret);
  if (x === 0n || x >= P256.order) throw new WireError("not_scalar", "the secret is not a scalar");
  const publicPoint = await timesGenerator(secret);
  const length = new Uint8Array(4);
  new DataView(length.buffer).setUint32(0, statement.length);
  for (;;) {
    const nonce = randomScalar();
    const commitment = await timesGenerator(bytesOf(nonce));
    const hash = await sha256(concat(utf8("sealbid/dkg/knowledge-proof/v1"), length, statement, GENERATOR, publicPoint, commitment));
    const challenge = integerOf(hash) % P256.order;
    const response = (nonce + challenge * x) % P256.order;
    if (challenge !== 0n && response !== 0n) return { challenge: base64url(bytesOf(challenge)), response: base64url(bytesOf(response)) };
  }
}

/** The `readiness` of `prove_readiness` (§5.6.1): member `share.member` holds `share.share` for the deadline in force `deadlineMs`. */
async function readinessProof(share, deadlineMs) {
  const statement = utf8(`sealbid/committee/readiness/v1\n${share.session}\n${share.member}\n${deadlineMs}\n`);
  return { member: share.member, proof: await knowledgeProof(fromBase64url(share.share), statement), session: share.session };
}

// ---- Identity keys (§2) --------------------------------------------------------------------

/** The PKCS#8 v1 document of an Ed25519 seed, as WebCrypto imports it: this prefix, then the seed. */
const PKCS8_V1_PREFIX = fromHex("302e020100300506032b657004220420");
/** The PKCS#8 v2 document the platform's key files hold (RFC 5958, as ring writes it): this
 * prefix, the seed, `PKCS8_V2_PUBLIC`, the public key. */
const PKCS8_V2_PREFIX = fromHex("3051020101300506032b657004220420");
const PKCS8_V2_PUBLIC = fromHex("812100");

/** An Ed25519 identity key held by this page. */
class Identity {
  /** `seed` (32 bytes) and the public key it gives, with the key WebCrypto signs with. */
  constructor(seed, publicKey, signingKey) {
    this.seed = seed;
    this.publicKey = publicKey;
    this.signingKey = signingKey;
    /** The key's text form, `ed25519:` and base64url. */
    this.text = `ed25519:${base64url(publicKey)}`;
  }

  /** A fresh key from this browser's random source. */
  static async generate() {
    const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"]);
    const document = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
    if (document.length !== 48 || !sameBytes(document.slice(0, 16), PKCS8_V1_PREFIX)) throw new WireError("browser_key_form", "this browser exports Ed25519 keys in a form the page does not know");
    return Identity.fromSeed(document.slice(16));
  }

  /** The key of a 32-byte seed. */
  static async fromSeed(seed) {
    const exportable = await crypto.subtle.importKey("pkcs8", concat(PKCS8_V1_PREFIX, seed), { name: "Ed25519" }, true, ["sign"]);
    const publicKey = fromBase64url((await crypto.subtle.exportKey("jwk", exportable)).x);
    const signingKey = await crypto.subtle.importKey("pkcs8", concat(PKCS8_V1_PREFIX, seed), { name: "Ed25519" }, false, ["sign"]);
    return new Identity(seed, publicKey, signingKey);
  }

  /** The key in a key file's bytes: the platform's PKCS#8 v2 (`sealbid key new`) or a v1 document. */
  static async fromFile(bytes) {
    if (bytes.length === 83 && sameBytes(bytes.slice(0, 16), PKCS8_V2_PREFIX) && sameBytes(bytes.slice(48, 51), PKCS8_V2_PUBLIC)) {
      const identity = await Identity.fromSeed(bytes.slice(16, 48));
      if (!sameBytes(identity.publicKey, bytes.slice(51))) throw new WireError("key_file_mismatch", "the key file's public key is not its seed's");
      return identity;
    }
    if (bytes.length === 48 && sameBytes(bytes.slice(0, 16), PKCS8_V1_PREFIX)) return Identity.fromSeed(bytes.slice(16));
    throw new WireError("not_key_file", `not an Ed25519 key file (PKCS#8, 83 bytes as \`sealbid key new\` writes; this one has ${bytes.length})`, { bytes: bytes.length });
  }

  /** The key file (PKCS#8 v2, exactly as `sealbid key new` writes it). */
  file() {
    return concat(PKCS8_V2_PREFIX, this.seed, PKCS8_V2_PUBLIC, this.publicKey);
  }

  /** The Ed25519 signature of `bytes`. */
  async sign(bytes) {
    return new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, this.signingKey, bytes));
  }
}

// ---- Commands (§2.1, §9.6, §10.2) ----------------------------------------------------------

/** How long a command the page signs stays valid: the ledger allows at most an hour. */
const COMMAND_LIFETIME_MS = 10 * 60 * 1000;

/** A random nonce below 2^53. */
function randomNonce() {
  const words = crypto.getRandomValues(new Uint32Array(2));
  return (words[0] & 0x1fffff) * 2 ** 32 + words[1];
}

/** `action` signed by `identity` as a command: `{payload, signature, signer}`. */
async function signCommand(identity, action) {
  const payload = canonical({ action, expires_at_ms: Date.now() + COMMAND_LIFETIME_MS, nonce: randomNonce() });
  return { payload, signature: base64url(await identity.sign(utf8(payload))), signer: identity.text };
}

/** A refusal or failure of the API, with its problem's code (`null` when there was no answer). */
class Refused extends Error {
  constructor(status, problem, fallback) {
    super(problem?.detail ?? fallback);
    this.status = status;
    this.code = problem?.code ?? null;
  }

  /** Whether the same signed command may be sent again (§9.4): no answer, 5xx, 408 or 429. */
  get retryable() {
    return this.status === null || this.status >= 500 || this.status === 408 || this.status === 429;
  }
}

/** Sends `body` (a signed command, maybe with its envelope) to `POST /v1/commands`; the answer. */
async function sendCommand(body) {
  let answer;
  try {
    answer = await fetch("/v1/commands", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(body),
    });
  } catch (error) {
    throw Object.assign(new Refused(null, null, `no answer from the node (${error.message})`), { reason: "no_answer", values: { cause: error.message } });
  }
  const json = await answer.json().catch(() => null);
  if (!answer.ok) throw new Refused(answer.status, json, `${answer.status} ${answer.statusText}`);
  return json;
}

// ---- Sealing (§4, §10.3) -------------------------------------------------------------------

/** Suite 1's id. */
const SUITE = "p256-hkdf-sha256-aes256gcm";
/** Every offer is padded to this many bytes before it is sealed (§4.2). */
const OFFER_BYTES = 256;

/** The AES-256-GCM key and nonce of an envelope (§4.2 steps 3–5). */
async function keySchedule(sharedSecret, ephemeralKey, recipientKey, associatedData) {
  const material = await crypto.subtle.importKey("raw", sharedSecret, "HKDF", false, ["deriveBits"]);
  const info = concat(utf8("sealbid/envelope/v1"), [0], associatedData);
  const bits = await crypto.subtle.deriveBits(
    { name: "HKDF", hash: "SHA-256", salt: concat(ephemeralKey, recipientKey), info }, material, 44 * 8);
  const okm = new Uint8Array(bits);
  const key = await crypto.subtle.importKey("raw", okm.slice(0, 32), "AES-GCM", false, ["encrypt", "decrypt"]);
  return { key, nonce: okm.slice(32, 44) };
}

/** The associated data of an envelope bound to `context`. */
const associatedDataOf = (context) => utf8(canonical({ context, suite: SUITE, version: 1 }));

/** `plaintext` sealed to the P-256 point `recipient` (bytes) under `context` (§4.2). */
async function seal(recipient, context, plaintext) {
  const recipientKey = uncompressedPoint(recipient);
  const curve = { name: "ECDH", namedCurve: "P-256" };
  const recipientPublic = await crypto.subtle.importKey("raw", recipientKey, curve, false, []);
  const ephemeral = await crypto.subtle.generateKey(curve, false, ["deriveBits"]);
  const ephemeralKey = new Uint8Array(await crypto.subtle.exportKey("raw", ephemeral.publicKey));
  const shared = new Uint8Array(await crypto.subtle.deriveBits({ name: "ECDH", public: recipientPublic }, ephemeral.privateKey, 256));
  const associatedData = associatedDataOf(context);
  const { key, nonce } = await keySchedule(shared, ephemeralKey, recipientKey, associatedData);
  const ciphertext = await crypto.subtle.encrypt({ name: "AES-GCM", iv: nonce, additionalData: associatedData, tagLength: 128 }, key, plaintext);
  return { ciphertext: base64url(new Uint8Array(ciphertext)), ephemeral_key: base64url(ephemeralKey), suite: SUITE, version: 1 };
}

/** Opens `envelope` with the P-256 secret `secret` (32 bytes) of the point `recipient` (bytes). */
async function openEnvelope(secret, recipient, context, envelope) {
  if (envelope.version !== 1 || envelope.suite !== SUITE) throw new WireError("envelope_suite", "the envelope is not of suite 1");
  const recipientKey = uncompressedPoint(recipient);
  const curve = { name: "ECDH", namedCurve: "P-256" };
  const jwk = { kty: "EC", crv: "P-256", d: base64url(secret), x: base64url(recipientKey.slice(1, 33)), y: base64url(recipientKey.slice(33)) };
  let privateKey;
  try {
    privateKey = await crypto.subtle.importKey("jwk", jwk, curve, false, ["deriveBits"]);
  } catch {
    throw new WireError("encryption_key_mismatch", "the encryption key is not the one registered for this member");
  }
  const ephemeralKey = fromBase64url(envelope.ephemeral_key);
  const ephemeral = await crypto.subtle.importKey("raw", ephemeralKey, curve, false, []);
  const shared = new Uint8Array(await crypto.subtle.deriveBits({ name: "ECDH", public: ephemeral }, privateKey, 256));
  const associatedData = associatedDataOf(context);
  const { key, nonce } = await keySchedule(shared, ephemeralKey, recipientKey, associatedData);
  try {
    const plaintext = await crypto.subtle.decrypt({ name: "AES-GCM", iv: nonce, additionalData: associatedData, tagLength: 128 }, key, fromBase64url(envelope.ciphertext));
    return new Uint8Array(plaintext);
  } catch {
    throw new WireError("envelope_closed", "the envelope does not open");
  }
}

/** An offer (§10.3) as sealed: its RFC 8785 bytes, `80`, then `00` up to 256 bytes. */
function paddedOffer(offer) {
  const bytes = utf8(canonical(offer));
  if (bytes.length >= OFFER_BYTES) throw new WireError("offer_too_long", "the offer is too long to seal");
  const padded = new Uint8Array(OFFER_BYTES);
  padded.set(bytes);
  padded[bytes.length] = 0x80;
  return padded;
}

/** `offer` sealed to the tender's opening key (its point text) for `kind` by `sealer` (a key text). */
function sealOffer(openingKey, kind, sealer, offer) {
  const context = { bidder: sealer, kind, lot: offer.lot, tender: offer.tender };
  return seal(fromBase64url(openingKey), context, paddedOffer(offer));
}

/** The `envelope_sha256` of an envelope: SHA-256 of its RFC 8785 bytes, base64url. */
async function envelopeDigest(envelope) {
  return base64url(await sha256(utf8(canonical(envelope))));
}

// ---- Signed reads (§9.10) ------------------------------------------------------------------

/** How long a read's signature lives (the node allows at most 300 s). */
const READ_LIFETIME_S = 300;

/** GETs `target` (a path and query on this node) signed by `identity` (RFC 9421); the fetch answer. */
async function signedFetch(identity, target, options = {}) {
  const url = new URL(target, location.origin);
  const created = Math.floor(Date.now() / 1000);
  const parameters = `("@method" "@authority" "@path" "@query");created=${created};expires=${created + READ_LIFETIME_S};alg="ed25519";keyid="${identity.text}"`;
  const base = [
    `"@method": GET`, `"@authority": ${url.host.toLowerCase()}`, `"@path": ${url.pathname}`,
    `"@query": ${url.search || "?"}`, `"@signature-params": ${parameters}`,
  ].join("\n");
  const signature = base64(await identity.sign(utf8(base)));
  return fetch(url, {
    ...options,
    headers: { accept: "application/json", "signature-input": `sealbid=${parameters}`, signature: `sealbid=:${signature}:` },
  });
}

/** A signed read's JSON answer; a refusal throws. */
async function signedRead(identity, target) {
  const answer = await signedFetch(identity, target);
  const json = await answer.json().catch(() => null);
  if (!answer.ok) throw new Refused(answer.status, json, `${answer.status} ${answer.statusText}`);
  return json;
}

// ---- Receipts (§6, §7, §8) -----------------------------------------------------------------

/** SHA-256(`00` ‖ entry bytes): an entry's leaf hash. */
const leafHashOf = (entry) => sha256(concat([0], utf8(entry)));

/** The root an RFC 9162 inclusion proof gives for `leaf` at `index` in a tree of `size`. */
async function rootOfInclusion(index, size, leaf, proof) {
  let node = BigInt(index);
  let last = BigInt(size) - 1n;
  if (node > last) throw new WireError("beyond_checkpoint", "the entry lies beyond the checkpoint");
  let hash = leaf;
  for (const sibling of proof) {
    if (last === 0n) throw new WireError("proof_too_long", "the inclusion proof is too long");
    if ((node & 1n) === 1n || node === last) {
      hash = await sha256(concat([1], sibling, hash));
      while ((node & 1n) === 0n && node !== 0n) {
        node >>= 1n;
        last >>= 1n;
      }
    } else {
      hash = await sha256(concat([1], hash, sibling));
    }
    node >>= 1n;
    last >>= 1n;
  }
  if (last !== 0n) throw new WireError("proof_too_short", "the inclusion proof is too short");
  return hash;
}

/** A note verifier key's parts: `name+<key id>+base64(01 ‖ public key)` (§7). */
async function parseVerifierKey(text) {
  // The name holds no "+"; the key's base64 may.
  const parts = text.trim().match(/^([^+\s]+)\+([0-9a-f]{8})\+(\S+)$/);
  if (!parts) throw new WireError("not_verifier_key", "not a verifier key (name+keyid+key)");
  const [, name, keyId] = parts;
  let key;
  try {
    key = fromBase64(parts[3]);
  } catch {
    throw new WireError("verifier_key_base64", "the verifier key's key is not base64");
  }
  if (key.length !== 33 || key[0] !== 1) throw new WireError("not_note_key", "not an Ed25519 note key");
  const id = (await sha256(concat(utf8(name), [0x0a, 0x01], key.slice(1)))).slice(0, 4);
  if (Array.from(id, (byte) => byte.toString(16).padStart(2, "0")).join("") !== keyId) throw new WireError("verifier_key_id", "the verifier key's id does not match its key");
  return { name, id, publicKey: await crypto.subtle.importKey("raw", key.slice(1), { name: "Ed25519" }, false, ["verify"]) };
}

/** The checkpoint in signed note `note` once `verifier`'s signature on it checks: `{origin, size, root}`. */
async function verifiedCheckpoint(note, verifier) {
  const split = note.lastIndexOf("\n\n");
  if (split < 0) throw new WireError("not_signed_note", "the checkpoint is not a signed note");
  const body = note.slice(0, split + 1);
  let signed = false;
  for (const line of note.slice(split + 2).split("\n").filter((line) => line !== "")) {
    const match = line.match(/^\u2014 (\S+) (\S+)$/);
    if (!match || match[1] !== verifier.name) continue;
    const bytes = fromBase64(match[2]);
    if (bytes.length !== 68 || !sameBytes(bytes.slice(0, 4), verifier.id)) continue;
    if (!(await crypto.subtle.verify({ name: "Ed25519" }, verifier.publicKey, bytes.slice(4), utf8(body)))) {
      throw new WireError("checkpoint_signature", "the checkpoint's signature does not verify");
    }
    signed = true;
  }
  if (!signed) throw new WireError("checkpoint_unsigned", "the checkpoint is not signed by the log key");
  const [origin, size, root] = body.split("\n");
  if (!/^[1-9][0-9]*$/.test(size)) throw new WireError("checkpoint_size", "the checkpoint has no tree size");
  return { origin, size: Number(size), root: fromBase64(root) };
}

/**
 * Checks a kept receipt (`{audit_index, leaf_hash, entry, payload}`, what a command's answer
 * gave) against the log whose verifier key the holder trusts: the entry is the signed command
 * and its leaf hash, the log's key is that key, and the node's receipt proves the leaf in a
 * checkpoint signed by it. The checkpoint's size on success; a reason thrown otherwise.
 */
async function verifyReceipt(kept, verifierKeyText) {
  const verifier = await parseVerifierKey(verifierKeyText);
  if (base64url(await leafHashOf(kept.entry)) !== kept.leaf_hash) throw new WireError("entry_not_leaf", "the entry is not the leaf the answer named");
  if (!kept.entry.includes(JSON.stringify(kept.payload))) throw new WireError("entry_without_command", "the entry does not hold the signed command");
  const logKey = await read("/v1/audit/log-key");
  if (logKey.verifier_key !== verifierKeyText.trim()) throw new WireError("other_log_key", "the node signs with another log key than the one trusted");
  const receipt = await read(`/v1/audit/receipt?index=${kept.audit_index}`);
  if (receipt.leaf_hash !== kept.leaf_hash || receipt.index !== kept.audit_index) throw new WireError("receipt_other_entry", "the node's receipt is for another entry");
  const checkpoint = await verifiedCheckpoint(receipt.checkpoint, verifier);
  if (receipt.origin !== verifier.name || checkpoint.origin !== verifier.name) throw new WireError("receipt_other_log", "the receipt is from another log");
  const hashes = [kept.leaf_hash, ...receipt.inclusion_proof].map(fromBase64url);
  if (checkpoint.root.length !== 32 || hashes.some((hash) => hash.length !== 32)) throw new WireError("receipt_hash_length", "the receipt holds a hash that is not 32 bytes");
  const root = await rootOfInclusion(kept.audit_index, checkpoint.size, hashes[0], hashes.slice(1));
  if (!sameBytes(root, checkpoint.root)) throw new WireError("proof_root", "the inclusion proof does not lead to the checkpoint's root");
  return checkpoint.size;
}
