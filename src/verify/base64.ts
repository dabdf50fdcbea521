/**
 * Strict base64 helpers (standard alphabet, padding required).
 *
 * @module
 */

/** Decodes standard base64, or returns `undefined` when `text` is not base64. */
export function decodeBase64(text: string): Uint8Array | undefined {
  const clean = text.trim();
  if (clean.length === 0 || clean.length % 4 !== 0) return undefined;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(clean)) return undefined;
  try {
    const bin = atob(clean);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return undefined;
  }
}

/** Encodes bytes as standard base64. */
export function encodeBase64(bytes: Uint8Array): string {
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin);
}
