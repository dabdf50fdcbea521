/**
 * The pull stages of the receive pipeline, each alone.
 *
 * Mutations caught: `concatPulls` skipping to `second` before `first` ends
 * (order test); `teeToFile` writing only the first chunk (copy test);
 * `Recorded` keeping the last error instead of the first.
 */

import assert from "node:assert/strict";
import {
  abortable,
  concatPulls,
  drain,
  prepend,
  type Pull,
  readHead,
  Recorded,
  tap,
  teeToFile,
} from "../../src/apply/_pull.ts";
import { PackageCheck } from "../../src/verify/package_check.ts";
import { PatchopsError } from "../../src/errors.ts";
import { sha256, tempDir } from "../_helpers.ts";

const enc = new TextEncoder();

/** A source that reuses one buffer, as the real ones do. */
function source(...chunks: string[]): Pull {
  const buf = new Uint8Array(64);
  let i = 0;
  return () => {
    const c = chunks[i++];
    if (c === undefined) return Promise.resolve(undefined);
    const bytes = enc.encode(c);
    buf.set(bytes);
    return Promise.resolve(buf.subarray(0, bytes.length));
  };
}

async function text(pull: Pull): Promise<string> {
  let out = "";
  for (let c = await pull(); c !== undefined; c = await pull()) out += new TextDecoder().decode(c);
  return out;
}

Deno.test("concatPulls() gives every byte of the first source, then the second", async () => {
  assert.equal(await text(concatPulls(source("ab", "c"), source("de"))), "abcde");
  assert.equal(await text(concatPulls(undefined, source("x"))), "x");
});

Deno.test("prepend() gives the head once, then the rest; an empty head is skipped", async () => {
  assert.equal(await text(prepend(enc.encode("HE"), source("llo"))), "HEllo");
  const p = prepend(new Uint8Array(), source("a"));
  assert.equal(new TextDecoder().decode(await p()), "a");
});

Deno.test("readHead() copies at least n bytes out of a reused buffer", async () => {
  const pull = source("ab", "cd", "ef");
  const head = await readHead(pull, 3);
  assert.equal(new TextDecoder().decode(head), "abcd");
  await pull(); // overwrites the source's buffer
  assert.equal(new TextDecoder().decode(head), "abcd", "the head is a copy");
});

Deno.test("teeToFile() writes every chunk to the file before passing it on", async () => {
  const [dir, done] = await tempDir();
  try {
    const file = await Deno.open(`${dir}/copy`, { write: true, createNew: true });
    const seen = await text(teeToFile(source("one ", "two ", "three"), file));
    file.close();
    assert.equal(seen, "one two three");
    assert.equal(await Deno.readTextFile(`${dir}/copy`), "one two three");
  } finally {
    await done();
  }
});

Deno.test("tap() shows each chunk and passes it unchanged", async () => {
  const sizes: number[] = [];
  assert.equal(await text(tap(source("a", "bb", "ccc"), (c) => sizes.push(c.length))), "abbccc");
  assert.deepEqual(sizes, [1, 2, 3]);
});

Deno.test("abortable() fails once the signal is aborted", async () => {
  const ac = new AbortController();
  const pull = abortable(source("a", "b"), ac.signal, () => new Error("stopped"));
  assert.ok(await pull());
  ac.abort();
  await assert.rejects(pull(), /stopped/);
});

Deno.test("Recorded keeps the first error of its source", async () => {
  let n = 0;
  const r = new Recorded(() => Promise.reject(new Error(`failure ${++n}`)));
  assert.equal(r.failed, false);
  await assert.rejects(r.pull(), /failure 1/);
  await assert.rejects(r.pull(), /failure 2/);
  assert.equal(r.failed, true);
  assert.equal((r.error as Error).message, "failure 1");
  await drain(source("a", "b"));
});

Deno.test("PackageCheck judges the hash over every byte it was shown", async () => {
  const ok = new PackageCheck(sha256(enc.encode("hello world")), undefined);
  ok.update(enc.encode("hello "));
  ok.update(enc.encode("world"));
  assert.equal(ok.bytes, 11);
  assert.equal(await ok.verdict(), undefined);
  const bad = new PackageCheck(sha256(enc.encode("hello world")), undefined);
  bad.update(enc.encode("hello"));
  await assert.rejects(bad.verdict(), (e) => e instanceof PatchopsError && e.code === "HashMismatch");
});
