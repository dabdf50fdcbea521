import assert from "node:assert/strict";
import {
  formatKeyId,
  formatSignature,
  MinisignVerifier,
  parsePublicKey,
  parseSignature,
} from "../../src/verify/minisign.ts";
import { HAVE_MINISIGN, minisignKeygen, minisignSign, tempDir } from "../_helpers.ts";

async function verifyBytes(
  pubText: string,
  sigText: string,
  data: Uint8Array,
  chunk = 7,
) {
  const v = new MinisignVerifier(
    parsePublicKey(pubText),
    parseSignature(sigText),
  );
  for (let i = 0; i < data.length; i += chunk) {
    v.update(data.subarray(i, i + chunk));
  }
  return await v.verify();
}

// Mutation caught: the trusted comment's global signature not checked.
for (const legacy of [false, true]) {
  const kind = legacy ? "legacy Ed" : "prehashed ED";
  Deno.test({
    name: `MinisignVerifier accepts real minisign ${kind} signatures and refuses tampering`,
    ignore: !HAVE_MINISIGN,
    async fn() {
      const [dir, done] = await tempDir();
      try {
        const { pub, sec } = await minisignKeygen(dir);
        const data = crypto.getRandomValues(new Uint8Array(65_536));
        await Deno.writeFile(`${dir}/f`, data);
        const sig = await minisignSign(`${dir}/f`, sec, { legacy });
        assert.equal(parseSignature(sig).algorithm, legacy ? "Ed" : "ED");
        const pubText = await Deno.readTextFile(pub);
        assert.equal(
          await verifyBytes(pubText, sig, data),
          "test trusted comment",
        );
        // The Tauri/duck_client form: base64 of the whole .minisig text.
        assert.equal(
          await verifyBytes(pubText, btoa(sig), data, 4096),
          "test trusted comment",
        );
        // The bare key line works like the file.
        assert.equal(
          await verifyBytes(pubText.split("\n")[1]!, sig, data),
          "test trusted comment",
        );

        const tampered = data.slice();
        tampered[500] = tampered[500]! ^ 1;
        await assert.rejects(verifyBytes(pubText, sig, tampered), {
          code: "SignatureInvalid",
        });

        const parsed = parseSignature(sig);
        const altered = formatSignature({
          ...parsed,
          trustedComment: "timestamp:0 file:other",
        });
        await assert.rejects(
          verifyBytes(pubText, altered, data),
          /trusted comment/,
        );

        const other = await minisignKeygen(dir, "other");
        await assert.rejects(
          verifyBytes(await Deno.readTextFile(other.pub), sig, data),
          new RegExp(`made with key ${formatKeyId(parsed.keyId)}`),
        );
      } finally {
        await done();
      }
    },
  });
}

Deno.test("parseSignature() and parsePublicKey() refuse malformed input", () => {
  assert.throws(() => parseSignature("not a signature"), {
    code: "SignatureInvalid",
  });
  assert.throws(() => parseSignature(btoa("hello world")), {
    code: "SignatureInvalid",
  });
  assert.throws(() => parsePublicKey("untrusted comment: x\nAAAA\n"), {
    code: "KeyInvalid",
  });
});
