import assert from "node:assert/strict";
import { readTar } from "../../src/archive/tar_reader.ts";
import { encodePax } from "../../src/archive/tar_writer.ts";
import { buildTar, concat, encodeHeader, exec, padding, tempDir } from "../_helpers.ts";

async function list(bytes: Uint8Array) {
  const out: {
    path: string;
    type: string;
    link: string;
    mode: number;
    data: string;
  }[] = [];
  for await (
    const { header, body } of readTar(
      new Blob([bytes as Uint8Array<ArrayBuffer>]).stream(),
    )
  ) {
    const parts: Uint8Array[] = [];
    for await (const p of body) parts.push(p.slice());
    out.push({
      path: header.path,
      type: header.type,
      link: header.linkPath,
      mode: header.mode,
      data: new TextDecoder().decode(concat(parts)),
    });
  }
  return out;
}

Deno.test("readTar() reads files, directories and links with modes", async () => {
  const entries = await list(buildTar([
    { path: "d", type: "directory", mode: 0o750 },
    { path: "d/f", data: "hello", mode: 0o755 },
    { path: "l", type: "symlink", link: "d/f" },
    { path: "h", type: "hardlink", link: "d/f" },
  ]));
  assert.deepEqual(
    entries.map((e) => [e.path, e.type, e.mode.toString(8), e.data, e.link]),
    [
      ["d/", "directory", "750", "", ""],
      ["d/f", "file", "755", "hello", ""],
      ["l", "symlink", "644", "", "d/f"],
      ["h", "hardlink", "644", "", "d/f"],
    ],
  );
});

Deno.test("readTar() applies pax path overrides and GNU long names", async () => {
  const long = "x".repeat(150) + "/ünïcode.txt";
  const pax = encodePax({ path: long });
  const gnuName = new TextEncoder().encode("g".repeat(120) + "\0");
  const bytes = concat([
    encodeHeader({ name: "PaxHeaders/1", typeflag: "x", size: pax.length }),
    pax,
    padding(pax.length),
    encodeHeader({ name: "short", typeflag: "0", size: 2 }),
    new TextEncoder().encode("hi"),
    padding(2),
    encodeHeader({
      name: "././@LongLink",
      typeflag: "L",
      size: gnuName.length,
      magic: "gnu",
    }),
    gnuName,
    padding(gnuName.length),
    encodeHeader({ name: "trunc", typeflag: "0", size: 0, magic: "gnu" }),
    new Uint8Array(1024),
  ]);
  const entries = await list(bytes);
  assert.deepEqual(entries.map((e) => e.path), [long, "g".repeat(120)]);
  assert.equal(entries[0]!.data, "hi");
});

Deno.test("readTar() refuses a bad checksum, truncation and a missing end marker", async () => {
  const good = buildTar([{ path: "a", data: "abc" }]);
  const badSum = good.slice();
  badSum[0] = "b".charCodeAt(0);
  await assert.rejects(list(badSum), {
    code: "ArchiveCorrupt",
    message: /checksum/,
  });
  await assert.rejects(list(good.subarray(0, 512 + 2)), {
    code: "ArchiveCorrupt",
    message: /truncated/,
  });
  await assert.rejects(list(good.subarray(0, 1024)), {
    code: "ArchiveCorrupt",
    message: /end-of-archive/,
  });
});

Deno.test("readTar() reports devices, FIFOs and sparse files by type", async () => {
  const entries = await list(concat([
    encodeHeader({ name: "dev", typeflag: "3", devmajor: 1, devminor: 3 }),
    encodeHeader({ name: "fifo", typeflag: "6" }),
    new Uint8Array(1024),
  ]));
  assert.deepEqual(entries.map((e) => e.type), ["chardev", "fifo"]);
  await assert.rejects(
    list(
      concat([
        encodeHeader({ name: "s", typeflag: "S", magic: "gnu" }),
        new Uint8Array(1024),
      ]),
    ),
    /sparse/,
  );
});

Deno.test("readTar() reads what GNU tar and bsdtar write (pax, long names, links)", async () => {
  const [dir, done] = await tempDir();
  try {
    const src = `${dir}/src`;
    await Deno.mkdir(`${src}/deep/${"n".repeat(120)}`, { recursive: true });
    await Deno.writeTextFile(`${src}/deep/${"n".repeat(120)}/файл.txt`, "data");
    await Deno.symlink("deep", `${src}/link`);
    await Deno.link(`${src}/deep/${"n".repeat(120)}/файл.txt`, `${src}/hard`);
    for (
      const [tool, args] of [
        ["tar", ["--format=gnu", "-cf", `${dir}/gnu.tar`, "-C", src, "."]],
        ["tar", ["--format=pax", "-cf", `${dir}/pax.tar`, "-C", src, "."]],
        ["bsdtar", ["--format=pax", "-cf", `${dir}/bsd.tar`, "-C", src, "."]],
      ] as const
    ) {
      const r = await exec(tool, [...args]);
      assert.equal(r.code, 0, r.stderr);
      const out = args[2];
      const entries = await list(await Deno.readFile(out));
      const paths = entries.map((e) => e.path.replace(/^\.\//, "").replace(/\/$/, "")).sort();
      assert.ok(
        paths.includes(`deep/${"n".repeat(120)}/файл.txt`),
        `${tool} ${out}: ${paths}`,
      );
      assert.ok(
        entries.some((e) => e.type === "symlink" && e.link === "deep"),
        out,
      );
      // Whichever of the two names comes first carries the data; the other is a hard link to it.
      // Mutation caught: typeOf() decoding flag "1" as a file (the old `|| endsWith("hard")` passed).
      const strip = (p: string) => p.replace(/^\.\//, "");
      const pair = entries.filter((e) => ["hard", `deep/${"n".repeat(120)}/файл.txt`].includes(strip(e.path)));
      assert.deepEqual(pair.map((e) => e.type).sort(), ["file", "hardlink"], out);
      const [file, link] = pair[0]!.type === "file" ? [pair[0]!, pair[1]!] : [pair[1]!, pair[0]!];
      assert.equal(strip(link.link), strip(file.path), out);
      assert.equal(file.data, "data", out);
      assert.equal(link.data, "", out);
    }
  } finally {
    await done();
  }
});

// Mutations caught: the record bound scaled by 1e6 (1,200 global records were read); the byte bound removed.
Deno.test("readTar() reads git archive's global pax header and refuses global headers of too many records", async () => {
  const [dir, done] = await tempDir();
  try {
    // git archive opens with a global pax header (comment = the commit id).
    const git = (...args: string[]) => exec("git", ["-C", dir, "-c", "user.name=t", "-c", "user.email=t@t", ...args]);
    assert.equal((await git("init", "-q")).code, 0);
    await Deno.writeTextFile(`${dir}/a.txt`, "hello");
    assert.equal((await git("add", "a.txt")).code, 0);
    assert.equal((await git("commit", "-qm", "one")).code, 0);
    assert.equal((await git("archive", "--format=tar", "-o", `${dir}/git.tar`, "HEAD")).code, 0);
    const git_tar = await Deno.readFile(`${dir}/git.tar`);
    assert.equal(String.fromCharCode(git_tar[156]!), "g");
    assert.deepEqual((await list(git_tar)).map((e) => [e.path, e.data]), [["a.txt", "hello"]]);
  } finally {
    await done();
  }
  // Records from many global headers add up; each stays in force for every later member.
  const headers: Uint8Array[] = [];
  for (let g = 0; g < 3; g++) {
    const records: Record<string, string> = {};
    for (let i = 0; i < 400; i++) records[`k${g}.${i}`] = "";
    const data = encodePax(records);
    headers.push(encodeHeader({ name: "g", typeflag: "g", size: data.length }), data, padding(data.length));
  }
  await assert.rejects(
    list(buildTar([...headers, { path: "a.txt", data: "hello" }])),
    /global pax headers set more than 1024 records/,
  );
  // One global header (its block, records and padding) three times: a key set again is one record.
  const one = headers.slice(0, 3);
  assert.deepEqual((await list(buildTar([...one, ...one, ...one, { path: "a.txt", data: "x" }]))).length, 1);
  // Few records, but each near the 1 MiB an extended header may hold: their text together is bounded too.
  const big: Uint8Array[] = [];
  for (let g = 0; g < 3; g++) {
    const data = encodePax({ [`big${g}`]: "v".repeat(900_000) });
    big.push(encodeHeader({ name: "g", typeflag: "g", size: data.length }), data, padding(data.length));
  }
  await assert.rejects(
    list(buildTar([...big, { path: "a.txt", data: "hello" }])),
    /global pax headers set more than 1048576 bytes of records/,
  );
  assert.equal((await list(buildTar([...big.slice(0, 3), { path: "a.txt", data: "x" }]))).length, 1);
});
