/**
 * MurmurHash3 x86 32-bit (Austin Appleby's reference, public domain) of a string's UTF-8 bytes,
 * as a signed 32-bit integer: the hash scikit-learn's FeatureHasher and `murmurhash3_32` use, so
 * hashed features match theirs bit for bit. Lone surrogates hash as U+FFFD, as `TextEncoder`
 * encodes them. The bytes are fed as they are encoded, so nothing is allocated per string.
 */
export function murmurhash3(text: string, seed = 0): number {
  hash = seed | 0;
  block = 0;
  filled = 0;
  length = 0;
  for (let i = 0; i < text.length; i++) {
    let code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdfff) {
      const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
      if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        code = 0x10000 + ((code - 0xd800) << 10) + (next - 0xdc00);
        i++;
      } else code = 0xfffd;
    }
    if (code < 0x80) feed(code);
    else if (code < 0x800) {
      feed(0xc0 | (code >> 6));
      feed(0x80 | (code & 0x3f));
    } else if (code < 0x10000) {
      feed(0xe0 | (code >> 12));
      feed(0x80 | ((code >> 6) & 0x3f));
      feed(0x80 | (code & 0x3f));
    } else {
      feed(0xf0 | (code >> 18));
      feed(0x80 | ((code >> 12) & 0x3f));
      feed(0x80 | ((code >> 6) & 0x3f));
      feed(0x80 | (code & 0x3f));
    }
  }
  let h = hash;
  if (filled > 0) h ^= scramble(block);
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

// The running state of one `murmurhash3` call (hashing is synchronous, so one set is enough).
let hash = 0;
let block = 0;
let filled = 0;
let length = 0;

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

function scramble(k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  return Math.imul(k, C2);
}

/** Adds one byte: little-endian into the current 4-byte block, mixed in when the block is full. */
function feed(byte: number): void {
  block |= byte << (8 * filled);
  filled++;
  length++;
  if (filled === 4) {
    hash ^= scramble(block);
    hash = (hash << 13) | (hash >>> 19);
    hash = (Math.imul(hash, 5) + 0xe6546b64) | 0;
    block = 0;
    filled = 0;
  }
}
