import assert from "node:assert/strict";
import { formatPublicKey, formatSignature, MinisignVerifier, parsePublicKey } from "../../src/verify/minisign.ts";
import {
  formatSecretKey,
  generateSecretKey,
  isEncrypted,
  parseSecretKey,
  publicKeyOf,
  signFile,
} from "../../src/verify/secret_key.ts";
import { exec, HAVE_MINISIGN, minisignKeygen, tempDir } from "../_helpers.ts";
import { parseSignature } from "../../src/verify/minisign.ts";

Deno.test({
  name: "our unencrypted keys and signatures are accepted by the real minisign, and its keys by us",
  ignore: !HAVE_MINISIGN,
  async fn() {
    const [dir, done] = await tempDir();
    try {
      await Deno.writeTextFile(`${dir}/file.txt`, "payload\n");
      const sk = generateSecretKey();
      await Deno.writeTextFile(
        `${dir}/ours.key`,
        await formatSecretKey(sk, undefined),
      );
      await Deno.writeTextFile(
        `${dir}/ours.pub`,
        formatPublicKey(publicKeyOf(sk)),
      );
      const sig = await signFile(sk, `${dir}/file.txt`);
      await Deno.writeTextFile(`${dir}/file.txt.minisig`, formatSignature(sig));
      let r = await exec("minisign", [
        "-V",
        "-p",
        `${dir}/ours.pub`,
        "-m",
        `${dir}/file.txt`,
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout + r.stderr, /file:file\.txt/);
      // minisign signs with our secret key file too.
      await Deno.remove(`${dir}/file.txt.minisig`);
      r = await exec("minisign", [
        "-S",
        "-s",
        `${dir}/ours.key`,
        "-m",
        `${dir}/file.txt`,
      ], { stdin: "" });
      assert.equal(r.code, 0, r.stderr);
      r = await exec("minisign", [
        "-V",
        "-p",
        `${dir}/ours.pub`,
        "-m",
        `${dir}/file.txt`,
      ]);
      assert.equal(r.code, 0, r.stderr);

      // Its key: we parse the secret key and sign; it verifies.
      const theirs = await minisignKeygen(dir, "theirs");
      const theirSk = await parseSecretKey(await Deno.readTextFile(theirs.sec));
      assert.deepEqual(
        publicKeyOf(theirSk),
        parsePublicKey(await Deno.readTextFile(theirs.pub)),
      );
      await Deno.writeTextFile(
        `${dir}/file.txt.minisig`,
        formatSignature(await signFile(theirSk, `${dir}/file.txt`)),
      );
      r = await exec("minisign", [
        "-V",
        "-p",
        theirs.pub,
        "-m",
        `${dir}/file.txt`,
      ]);
      assert.equal(r.code, 0, r.stderr);
    } finally {
      await done();
    }
  },
});

Deno.test({
  name: "encrypted secret keys interoperate with minisign both ways and a wrong password is refused",
  ignore: !HAVE_MINISIGN,
  async fn() {
    const [dir, done] = await tempDir();
    try {
      await Deno.writeTextFile(`${dir}/f`, "data");
      const sk = generateSecretKey();
      const text = await formatSecretKey(sk, "hunter2");
      assert.ok(isEncrypted(text));
      await Deno.writeTextFile(`${dir}/enc.key`, text);
      await Deno.writeTextFile(
        `${dir}/enc.pub`,
        formatPublicKey(publicKeyOf(sk)),
      );
      let r = await exec("minisign", [
        "-S",
        "-s",
        `${dir}/enc.key`,
        "-m",
        `${dir}/f`,
      ], { stdin: "hunter2\n" });
      assert.equal(r.code, 0, r.stderr);
      r = await exec("minisign", [
        "-V",
        "-p",
        `${dir}/enc.pub`,
        "-m",
        `${dir}/f`,
      ]);
      assert.equal(r.code, 0, r.stderr);
      await assert.rejects(parseSecretKey(text, "wrong"), /wrong password/);

      r = await exec("minisign", [
        "-G",
        "-f",
        "-p",
        `${dir}/m.pub`,
        "-s",
        `${dir}/m.key`,
      ], {
        stdin: "s3cret\ns3cret\n",
      });
      assert.equal(r.code, 0, r.stderr);
      const theirs = await parseSecretKey(
        await Deno.readTextFile(`${dir}/m.key`),
        "s3cret",
      );
      const sig = await signFile(theirs, `${dir}/f`);
      const v = new MinisignVerifier(
        parsePublicKey(await Deno.readTextFile(`${dir}/m.pub`)),
        parseSignature(formatSignature(sig)),
      );
      v.update(new TextEncoder().encode("data"));
      assert.match(await v.verify(), /file:f/);
    } finally {
      await done();
    }
  },
});
