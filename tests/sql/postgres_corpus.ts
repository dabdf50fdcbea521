/**
 * A corpus of schema changes written from the PostgreSQL 15 manual (chapters
 * 5 "Data Definition", 8 "Data Types", 11 "Indexes", and the reference pages
 * of CREATE TABLE, CREATE TYPE, CREATE DOMAIN, CREATE SEQUENCE, CREATE
 * FUNCTION, CREATE TRIGGER, CREATE MATERIALIZED VIEW, CREATE POLICY, GRANT,
 * COMMENT), one small change each. postgres_corpus_test.ts runs each on the
 * real server in both directions.
 */

/** One schema change. */
export interface PgCase {
  name: string;
  /**
   * A limit patchops knows of and does not refuse yet: the case runs and
   * must still fail (the day it converges, the test says so).
   */
  knownLimit?: string;
  from: string;
  to: string;
  /** Rows inserted into the `from` database before the forward migration. */
  data?: string;
  /** A query whose result must be the same before and after (forward only). */
  check?: string;
  /** Skip the reverse direction (the reverse would need data the forward lost). */
  oneWay?: boolean;
  /**
   * A limit patchops knows of: the case runs and must still fail, with a
   * refusal whose message matches (never a silent difference).
   */
  refused?: RegExp;
}

const cases: PgCase[] = [];
const add = (name: string, from: string, to: string, more?: Partial<PgCase>) => cases.push({ name, from, to, ...more });
/** A one-table case: `from` and `to` are the column lists after `id`. */
const table = (name: string, from: string, to: string, more?: Partial<PgCase>) =>
  add(
    name,
    `CREATE TABLE t (id integer PRIMARY KEY, ${from});`,
    `CREATE TABLE t (id integer PRIMARY KEY, ${to});`,
    more,
  );

// 8.1 Numeric types: widening keeps rows; the reverse narrows.
for (
  const [a, b] of [
    ["smallint", "integer"],
    ["integer", "bigint"],
    ["int2", "int8"],
    ["numeric(5,2)", "numeric(10,4)"],
    ["decimal(6)", "numeric(9,0)"],
    ["real", "double precision"],
    ["float4", "float8"],
    ["integer", "numeric"],
  ]
) {
  table(`8.1 numeric: ${a} to ${b}`, `v ${a}`, `v ${b}`, {
    data: "INSERT INTO t VALUES (1, 1), (2, 7);",
    check: "SELECT id, round(v::numeric) AS v FROM t ORDER BY id",
  });
}
// 8.3 Character types.
for (
  const [a, b] of [
    ["varchar(10)", "varchar(200)"],
    ["character varying(5)", "text"],
    ["char(4)", "char(8)"],
    ["character(3)", "varchar(10)"],
    ["text", "varchar(40)"],
  ]
) {
  table(`8.3 character: ${a} to ${b}`, `v ${a}`, `v ${b}`, {
    data: "INSERT INTO t VALUES (1, 'ab');",
    check: "SELECT id, trim(v) FROM t",
  });
}
// 8.4-8.9 Binary, date/time, boolean, network, uuid, json.
for (
  const [a, b] of [
    ["timestamp", "timestamptz"],
    ["timestamp(0)", "timestamp(6)"],
    ["time", "time with time zone"],
    ["date", "timestamp"],
    ["bytea", "text"],
    ["boolean", "integer"],
    ["inet", "cidr"],
    ["json", "jsonb"],
    ["text", "uuid"],
    ["interval", "interval"],
  ]
) {
  table(`8.x types: ${a} to ${b}`, `v ${a}`, `v ${b}`);
}
// 8.15 Arrays.
table("8.15 arrays: a text[] column added", "a int", "a int, tags text[]");
table("8.15 arrays: integer[] to bigint[]", "v integer[]", "v bigint[]");
table("8.15 arrays: an array default", "v int[]", "v int[] DEFAULT '{1,2}'");
table("8.15 arrays: varchar(20)[] widened", "v varchar(20)[]", "v varchar(40)[]");

// 5.2 Default values.
table("5.2 defaults: a number", "v int", "v int DEFAULT 42");
table("5.2 defaults: a negative number", "v int DEFAULT 1", "v int DEFAULT -1");
table("5.2 defaults: a string with a quote", "v text", "v text DEFAULT 'it''s'");
table("5.2 defaults: a string keeps its case", "v text DEFAULT 'ann'", "v text DEFAULT 'Ann'");
table("5.2 defaults: now()", "v timestamptz", "v timestamptz DEFAULT now()");
table("5.2 defaults: CURRENT_TIMESTAMP", "v timestamp", "v timestamp DEFAULT CURRENT_TIMESTAMP");
table("5.2 defaults: CURRENT_DATE", "v date", "v date DEFAULT CURRENT_DATE");
table("5.2 defaults: boolean", "v boolean", "v boolean DEFAULT false");
table("5.2 defaults: a numeric literal", "v numeric(6,2)", "v numeric(6,2) DEFAULT 1.50");
table("5.2 defaults: dropped", "v int DEFAULT 3", "v int");
table("5.2 defaults: a typed literal", "v date", "v date DEFAULT DATE '2020-01-01'");
table("5.2 defaults: an interval", "v interval", "v interval DEFAULT interval '1 day'");
table("5.2 defaults: a cast literal", "v timestamp", "v timestamp DEFAULT '2000-01-01 00:00:00'::timestamp");
table("5.2 defaults: an expression", "v int", "v int DEFAULT (1 + 2)");
table("5.2 defaults: a function of a string", "v text", "v text DEFAULT lower('ABC')");
table("5.2 defaults: gen_random_uuid()", "v uuid", "v uuid DEFAULT gen_random_uuid()");
table("5.2 defaults: AT TIME ZONE", "v timestamp", "v timestamp DEFAULT (now() AT TIME ZONE 'utc')");
table("5.2 defaults: a jsonb literal", "v jsonb", "v jsonb DEFAULT '{}'::jsonb");
table("5.2 defaults: an empty array", "v text[]", "v text[] DEFAULT ARRAY[]::text[]");

// 5.3 Generated columns.
table("5.3 generated: a stored generated column added", "a int", "a int, b int GENERATED ALWAYS AS (a * 2) STORED", {
  data: "INSERT INTO t VALUES (1, 5);",
  check: "SELECT id, a FROM t",
});
table(
  "5.3 generated: a concatenation",
  "f text, l text",
  "f text, l text, full_name text GENERATED ALWAYS AS (f || ' ' || l) STORED",
);

// 5.4 Constraints.
table("5.4 check: a column check added", "price numeric", "price numeric CHECK (price > 0)");
table("5.4 check: a named check", "price numeric", "price numeric CONSTRAINT positive_price CHECK (price > 0)");
table("5.4 check: a table check over two columns", "a int, b int", "a int, b int, CHECK (a > b)");
table("5.4 check: IN list", "s text", "s text CHECK (s IN ('new', 'paid', 'shipped'))");
table("5.4 check: NOT IN list", "n int", "n int CHECK (n NOT IN (4, 13))");
table("5.4 check: BETWEEN", "n int", "n int CHECK (n BETWEEN 1 AND 10)");
table("5.4 check: a regular expression", "s text", "s text CHECK (s ~ '^[a-z]+$')");
table("5.4 check: a cast", "s text", "s text CHECK (length(s::varchar) < 20)");
table("5.4 check: IS NOT NULL OR", "a int, b int", "a int, b int, CHECK (a IS NOT NULL OR b IS NOT NULL)");
table("5.4 check: AND and OR", "a int, b int", "a int, b int, CHECK (a > 0 AND b > 0 OR a < 0 AND b < 0)");
table("5.4 check: changed", "n int CHECK (n > 0)", "n int CHECK (n > 1)");
table("5.4 check: NO INHERIT", "n int", "n int, CONSTRAINT c_n CHECK (n > 0) NO INHERIT");
table("5.4 not null: added", "v int", "v int NOT NULL", { data: "INSERT INTO t VALUES (1, 1);" });
table("5.4 not null: dropped", "v int NOT NULL", "v int");
table("5.4 unique: a column", "v int", "v int UNIQUE");
table("5.4 unique: two columns", "a int, b int", "a int, b int, UNIQUE (a, b)");
table("5.4 unique: named", "a int", "a int, CONSTRAINT a_uq UNIQUE (a)");
table("5.4 unique: NULLS NOT DISTINCT", "a int", "a int, CONSTRAINT a_uq UNIQUE NULLS NOT DISTINCT (a)");
table("5.4 unique: INCLUDE", "a int, b int", "a int, b int, CONSTRAINT a_uq UNIQUE (a) INCLUDE (b)");
table("5.4 unique: DEFERRABLE", "a int", "a int, CONSTRAINT a_uq UNIQUE (a) DEFERRABLE INITIALLY DEFERRED");
add(
  "5.4 primary key: added",
  "CREATE TABLE t (id int NOT NULL, v int);",
  "CREATE TABLE t (id int PRIMARY KEY, v int);",
);
add(
  "5.4 primary key: two columns",
  "CREATE TABLE t (a int NOT NULL, b int NOT NULL, PRIMARY KEY (a));",
  "CREATE TABLE t (a int NOT NULL, b int NOT NULL, PRIMARY KEY (a, b));",
);
add(
  "5.4 primary key: named",
  "CREATE TABLE t (a int);",
  "CREATE TABLE t (a int, CONSTRAINT t_pk PRIMARY KEY (a));",
);
const parent = "CREATE TABLE products (product_no integer PRIMARY KEY, name text);";
add(
  "5.4 foreign key: added",
  `${parent} CREATE TABLE orders (order_id integer PRIMARY KEY, product_no integer);`,
  `${parent} CREATE TABLE orders (order_id integer PRIMARY KEY, product_no integer REFERENCES products (product_no));`,
);
for (const action of ["ON DELETE CASCADE", "ON DELETE SET NULL", "ON UPDATE RESTRICT", "ON DELETE SET DEFAULT"]) {
  add(
    `5.4 foreign key: ${action}`,
    `${parent} CREATE TABLE orders (order_id integer PRIMARY KEY, product_no integer REFERENCES products);`,
    `${parent} CREATE TABLE orders (order_id integer PRIMARY KEY, product_no integer REFERENCES products ${action});`,
  );
}
add(
  "5.4 foreign key: MATCH FULL",
  `${parent} CREATE TABLE orders (a int, b int);`,
  `CREATE TABLE products (product_no integer, v int, PRIMARY KEY (product_no, v));
   CREATE TABLE orders (a int, b int, FOREIGN KEY (a, b) REFERENCES products MATCH FULL);`,
);
add(
  "5.4 foreign key: DEFERRABLE",
  `${parent} CREATE TABLE orders (p int);`,
  `${parent} CREATE TABLE orders (p int REFERENCES products DEFERRABLE INITIALLY DEFERRED);`,
);
add(
  "5.4 foreign key: to a unique column of the table itself",
  "CREATE TABLE node (id int PRIMARY KEY, parent int);",
  "CREATE TABLE node (id int PRIMARY KEY, parent int REFERENCES node (id));",
);
add(
  "5.4 exclusion constraint",
  "CREATE TABLE booking (room int, during tsrange);",
  "CREATE TABLE booking (room int, during tsrange, EXCLUDE USING gist (during WITH &&));",
);

// 5.6 Modifying tables.
table("5.6 add a column", "a int", "a int, b text", {
  data: "INSERT INTO t VALUES (1, 2);",
  check: "SELECT id, a FROM t",
});
table("5.6 drop a column", "a int, b text", "a int", { data: "INSERT INTO t VALUES (1, 2, 'x');", oneWay: true });
add(
  "5.6 rename a column by annotation",
  "CREATE TABLE t (id int PRIMARY KEY, name text);",
  "CREATE TABLE t (id int PRIMARY KEY,\n  full_name text -- @renamed from=name\n);",
  { data: "INSERT INTO t VALUES (1, 'ann');", check: "SELECT id FROM t", oneWay: true },
);
add(
  "5.6 rename a table by annotation",
  "CREATE TABLE old_t (id int PRIMARY KEY);",
  "CREATE TABLE new_t ( -- @renamed from=old_t\n  id int PRIMARY KEY);",
  { oneWay: true },
);
add("5.6 create a table", "CREATE TABLE a (x int);", "CREATE TABLE a (x int); CREATE TABLE b (y text);");
add("5.6 drop a table", "CREATE TABLE a (x int); CREATE TABLE b (y text);", "CREATE TABLE a (x int);");
add("5.6 a table with no columns", "CREATE TABLE a (x int);", "CREATE TABLE a (x int); CREATE TABLE e ();");
add(
  "5.6 quoted mixed-case names",
  'CREATE TABLE "Users" ("Id" int PRIMARY KEY);',
  'CREATE TABLE "Users" ("Id" int PRIMARY KEY, "Email" text);',
);
add(
  "5.6 a reserved word as a table name",
  'CREATE TABLE "select" (id int);',
  'CREATE TABLE "select" (id int, "from" text);',
);
add("5.6 unquoted upper case folds", "CREATE TABLE Users (Id int);", "CREATE TABLE USERS (ID int, Name text);");
add(
  "5.6 schema-qualified public names",
  "CREATE TABLE public.t (id int);",
  "CREATE TABLE public.t (id int, v text);",
);
add(
  "5.6 an UNLOGGED table",
  "CREATE TABLE a (x int);",
  "CREATE TABLE a (x int); CREATE UNLOGGED TABLE u (y int);",
);
table("5.6 collation", "v text", 'v text COLLATE "C"');

// 5.5 System columns / identity (CREATE TABLE).
table("identity: BY DEFAULT added", "a int", "a int, n int GENERATED BY DEFAULT AS IDENTITY");
table("identity: ALWAYS added", "a int", "a int, n bigint GENERATED ALWAYS AS IDENTITY");
add(
  "serial: a new table",
  "CREATE TABLE a (x int);",
  "CREATE TABLE a (x int); CREATE TABLE s (id serial PRIMARY KEY);",
);
add(
  "serial: bigserial",
  "CREATE TABLE a (x int);",
  "CREATE TABLE a (x int); CREATE TABLE s (id bigserial PRIMARY KEY);",
);

// 11 Indexes.
const idx = "CREATE TABLE t (id int PRIMARY KEY, a int, b text, c jsonb);";
add("11.1 a plain index", idx, `${idx} CREATE INDEX t_a ON t (a);`);
add("11.3 a multicolumn index", idx, `${idx} CREATE INDEX t_ab ON t (a, b);`);
add("11.4 DESC", idx, `${idx} CREATE INDEX t_a ON t (a DESC);`);
add("11.4 NULLS FIRST", idx, `${idx} CREATE INDEX t_a ON t (a NULLS FIRST);`);
add("11.6 a unique index", idx, `${idx} CREATE UNIQUE INDEX t_a ON t (a);`);
add("11.7 an expression index", idx, `${idx} CREATE INDEX t_lb ON t (lower(b));`);
add("11.8 a partial index", idx, `${idx} CREATE INDEX t_a ON t (a) WHERE a > 10;`);
add("11.8 a partial unique index", idx, `${idx} CREATE UNIQUE INDEX t_b ON t (b) WHERE a IS NOT NULL;`);
add("11.2 USING hash", idx, `${idx} CREATE INDEX t_a ON t USING hash (a);`);
add("11.2 USING gin", idx, `${idx} CREATE INDEX t_c ON t USING gin (c);`);
add("11.2 USING brin", idx, `${idx} CREATE INDEX t_a ON t USING brin (a);`);
add("11.9 INCLUDE", idx, `${idx} CREATE INDEX t_a ON t (a) INCLUDE (b);`);
add("11.10 an operator class", idx, `${idx} CREATE INDEX t_b ON t (b text_pattern_ops);`);
add("11.11 COLLATE", idx, `${idx} CREATE INDEX t_b ON t (b COLLATE "C");`);
add("11 WITH (fillfactor)", idx, `${idx} CREATE INDEX t_a ON t (a) WITH (fillfactor = 70);`);
add("11 index columns changed", `${idx} CREATE INDEX t_i ON t (a);`, `${idx} CREATE INDEX t_i ON t (a, b);`);
add("11 index dropped", `${idx} CREATE INDEX t_i ON t (a);`, idx);

// 41 Views (CREATE VIEW).
const base = "CREATE TABLE t (id int PRIMARY KEY, name text, n int);";
add("view: created", base, `${base} CREATE VIEW v AS SELECT id, name FROM t;`);
add("view: a WHERE", base, `${base} CREATE VIEW v AS SELECT id FROM t WHERE n > 1;`);
add(
  "view: changed",
  `${base} CREATE VIEW v AS SELECT id FROM t;`,
  `${base} CREATE VIEW v AS SELECT id, name FROM t;`,
);
add(
  "view: a literal keeps its case",
  `${base} CREATE VIEW v AS SELECT id FROM t WHERE name = 'ann';`,
  `${base} CREATE VIEW v AS SELECT id FROM t WHERE name = 'Ann';`,
);
add(
  "view: a join",
  `${base} CREATE TABLE u (tid int, x text);`,
  `${base} CREATE TABLE u (tid int, x text); CREATE VIEW j AS SELECT t.id, u.x FROM t JOIN u ON u.tid = t.id;`,
);
add("view: an aggregate", base, `${base} CREATE VIEW s AS SELECT n, count(*) AS c FROM t GROUP BY n;`);
add("view: dropped", `${base} CREATE VIEW v AS SELECT id FROM t;`, base);
add(
  "view: on a view",
  base,
  `${base} CREATE VIEW v1 AS SELECT id, n FROM t; CREATE VIEW v2 AS SELECT id FROM v1 WHERE n > 0;`,
);
add("view: WITH CHECK OPTION", base, `${base} CREATE VIEW v AS SELECT id, n FROM t WHERE n > 0 WITH CHECK OPTION;`);

// CREATE MATERIALIZED VIEW.
add(
  "materialized view: created",
  base,
  `${base} CREATE MATERIALIZED VIEW mv AS SELECT n, count(*) AS c FROM t GROUP BY n;`,
);
add(
  "materialized view: changed",
  `${base} CREATE MATERIALIZED VIEW mv AS SELECT id FROM t;`,
  `${base} CREATE MATERIALIZED VIEW mv AS SELECT id, n FROM t;`,
);
add(
  "materialized view: an index on it",
  `${base} CREATE MATERIALIZED VIEW mv AS SELECT id FROM t;`,
  `${base} CREATE MATERIALIZED VIEW mv AS SELECT id FROM t; CREATE UNIQUE INDEX mv_id ON mv (id);`,
);

// 8.7 Enumerated types (CREATE TYPE, ALTER TYPE).
const mood = "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');";
add("8.7 enum: created with a column", "CREATE TABLE p (id int);", `${mood} CREATE TABLE p (id int, m mood);`);
add(
  "8.7 enum: a value added at the end",
  `${mood} CREATE TABLE p (id int, m mood);`,
  "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy', 'ecstatic'); CREATE TABLE p (id int, m mood);",
  { data: "INSERT INTO p VALUES (1, 'ok');", check: "SELECT id, m::text FROM p", oneWay: true },
);
add(
  "8.7 enum: a value added in the middle",
  `${mood} CREATE TABLE p (id int, m mood);`,
  "CREATE TYPE mood AS ENUM ('sad', 'meh', 'ok', 'happy'); CREATE TABLE p (id int, m mood);",
  { oneWay: true },
);
add(
  "8.7 enum: a value added first",
  mood,
  "CREATE TYPE mood AS ENUM ('awful', 'sad', 'ok', 'happy');",
  { oneWay: true },
);
add("8.7 enum: a type dropped", `${mood} CREATE TABLE p (id int);`, "CREATE TABLE p (id int);");
add(
  "8.7 enum: a default of the type",
  `${mood} CREATE TABLE p (id int, m mood);`,
  `${mood} CREATE TABLE p (id int, m mood DEFAULT 'ok');`,
);
add(
  "8.7 enum: an array of the type",
  `${mood} CREATE TABLE p (id int);`,
  `${mood} CREATE TABLE p (id int, ms mood[]);`,
);
add(
  "8.7 enum: a value removed from a type in use",
  `${mood} CREATE TABLE p (id int, m mood);`,
  "CREATE TYPE mood AS ENUM ('sad', 'happy'); CREATE TABLE p (id int, m mood);",
  { data: "INSERT INTO p VALUES (1, 'happy');", check: "SELECT id, m::text FROM p" },
);
add(
  "8.7 enum: a value removed while a row holds it fails and is rolled back",
  `${mood} CREATE TABLE p (id int, m mood);`,
  "CREATE TYPE mood AS ENUM ('sad', 'happy'); CREATE TABLE p (id int, m mood);",
  { data: "INSERT INTO p VALUES (1, 'ok');", knownLimit: "a row holds the removed value" },
);

// 8.16 Composite types.
add(
  "8.16 composite: created",
  "CREATE TABLE p (id int);",
  "CREATE TYPE pair AS (a int, b text); CREATE TABLE p (id int, v pair);",
);
add(
  "8.16 composite: an attribute added",
  "CREATE TYPE pair AS (a int, b text);",
  "CREATE TYPE pair AS (a int, b text, c date);",
);
add(
  "8.16 composite: dropped",
  "CREATE TYPE pair AS (a int, b text); CREATE TABLE p (id int);",
  "CREATE TABLE p (id int);",
);
add(
  "8.17 range type: created",
  "CREATE TABLE p (id int);",
  "CREATE TYPE floatrange AS RANGE (subtype = float8); CREATE TABLE p (id int);",
);

// CREATE DOMAIN.
const dom = "CREATE DOMAIN posint AS integer CHECK (VALUE > 0);";
add("domain: created and used", "CREATE TABLE p (id int);", `${dom} CREATE TABLE p (id int, n posint);`);
add(
  "domain: NOT NULL and DEFAULT",
  "CREATE TABLE p (id int);",
  "CREATE DOMAIN code AS text NOT NULL DEFAULT 'x'; CREATE TABLE p (id int);",
);
add(
  "domain: its check changed",
  `${dom} CREATE TABLE p (id int);`,
  "CREATE DOMAIN posint AS integer CHECK (VALUE > 1); CREATE TABLE p (id int);",
);
add("domain: dropped", `${dom} CREATE TABLE p (id int);`, "CREATE TABLE p (id int);");
add(
  "domain: a regex check",
  "CREATE TABLE p (id int);",
  "CREATE DOMAIN us_postal_code AS TEXT CHECK (VALUE ~ '^\\d{5}$' OR VALUE ~ '^\\d{5}-\\d{4}$'); CREATE TABLE p (id int, z us_postal_code);",
);

// CREATE SEQUENCE.
add("sequence: created", "CREATE TABLE p (id int);", "CREATE SEQUENCE s; CREATE TABLE p (id int);");
add(
  "sequence: options",
  "CREATE TABLE p (id int);",
  "CREATE SEQUENCE s AS integer INCREMENT BY 2 MINVALUE 10 MAXVALUE 1000 START WITH 10 CACHE 5 CYCLE; CREATE TABLE p (id int);",
);
add("sequence: increment changed", "CREATE SEQUENCE s;", "CREATE SEQUENCE s INCREMENT BY 5;");
add("sequence: dropped", "CREATE SEQUENCE s; CREATE TABLE p (id int);", "CREATE TABLE p (id int);");
add(
  "sequence: used by a default",
  "CREATE TABLE p (id int);",
  "CREATE SEQUENCE p_seq; CREATE TABLE p (id int DEFAULT nextval('p_seq'));",
);
add(
  "sequence: OWNED BY",
  "CREATE TABLE p (id int);",
  "CREATE TABLE p (id int); CREATE SEQUENCE p_seq OWNED BY p.id;",
);

// CREATE FUNCTION / PROCEDURE.
const fn = "CREATE FUNCTION add(a integer, b integer) RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT a + b $$;";
add("function: an SQL function", "CREATE TABLE p (id int);", `${fn} CREATE TABLE p (id int);`);
add(
  "function: its body changed",
  fn,
  "CREATE FUNCTION add(a integer, b integer) RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT a + b + 0 $$;",
);
add(
  "function: its return type changed",
  fn,
  "CREATE FUNCTION add(a integer, b integer) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$ SELECT (a + b)::bigint $$;",
);
add("function: dropped", `${fn} CREATE TABLE p (id int);`, "CREATE TABLE p (id int);");
add(
  "function: plpgsql",
  "CREATE TABLE p (id int);",
  `CREATE TABLE p (id int);
   CREATE FUNCTION count_p() RETURNS bigint AS $$
   BEGIN
     RETURN (SELECT count(*) FROM p);
   END;
   $$ LANGUAGE plpgsql STABLE;`,
);
add(
  "function: an overload",
  fn,
  `${fn} CREATE FUNCTION add(a text, b text) RETURNS text LANGUAGE sql AS $$ SELECT a || b $$;`,
);
add(
  "function: used in a check",
  "CREATE TABLE p (id int);",
  `${fn} CREATE TABLE p (id int, CHECK (add(id, 1) > 0));`,
);
add(
  "procedure: created",
  "CREATE TABLE p (id int);",
  "CREATE TABLE p (id int); CREATE PROCEDURE ins(x int) LANGUAGE sql AS $$ INSERT INTO p VALUES (x) $$;",
);
add(
  "function: SQL-standard body",
  "CREATE TABLE p (id int);",
  "CREATE TABLE p (id int); CREATE FUNCTION one() RETURNS integer LANGUAGE sql RETURN 1;",
);

// CREATE TRIGGER.
const trgFn = `CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated := now();
  RETURN NEW;
END;
$$;`;
const trgTable = "CREATE TABLE p (id int, updated timestamptz);";
add(
  "trigger: created with its function",
  trgTable,
  `${trgTable} ${trgFn} CREATE TRIGGER p_touch BEFORE UPDATE ON p FOR EACH ROW EXECUTE FUNCTION touch();`,
);
add(
  "trigger: its events changed",
  `${trgTable} ${trgFn} CREATE TRIGGER p_touch BEFORE UPDATE ON p FOR EACH ROW EXECUTE FUNCTION touch();`,
  `${trgTable} ${trgFn} CREATE TRIGGER p_touch BEFORE INSERT OR UPDATE ON p FOR EACH ROW EXECUTE FUNCTION touch();`,
);
add(
  "trigger: a WHEN condition",
  `${trgTable} ${trgFn}`,
  `${trgTable} ${trgFn} CREATE TRIGGER p_touch BEFORE UPDATE ON p FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION touch();`,
);
add(
  "trigger: dropped",
  `${trgTable} ${trgFn} CREATE TRIGGER p_touch BEFORE UPDATE ON p FOR EACH ROW EXECUTE FUNCTION touch();`,
  `${trgTable} ${trgFn}`,
);
add(
  "trigger: its function's body changed",
  `${trgTable} ${trgFn} CREATE TRIGGER p_touch BEFORE UPDATE ON p FOR EACH ROW EXECUTE FUNCTION touch();`,
  `${trgTable} ${
    trgFn.replace("now()", "clock_timestamp()")
  } CREATE TRIGGER p_touch BEFORE UPDATE ON p FOR EACH ROW EXECUTE FUNCTION touch();`,
);

// 5.8 Row security policies, 5.7 privileges.
const acct = "CREATE TABLE accounts (manager text, company text);";
add("5.8 ENABLE ROW LEVEL SECURITY", acct, `${acct} ALTER TABLE accounts ENABLE ROW LEVEL SECURITY;`);
add(
  "5.8 a policy",
  `${acct} ALTER TABLE accounts ENABLE ROW LEVEL SECURITY;`,
  `${acct} ALTER TABLE accounts ENABLE ROW LEVEL SECURITY;
   CREATE POLICY account_managers ON accounts USING (manager = current_user);`,
);
add(
  "5.8 a policy changed",
  `${acct} CREATE POLICY p1 ON accounts USING (manager = current_user);`,
  `${acct} CREATE POLICY p1 ON accounts FOR SELECT USING (true);`,
);
add(
  "5.7 GRANT SELECT to PUBLIC",
  acct,
  `${acct} GRANT SELECT ON accounts TO PUBLIC;`,
);
add(
  "5.7 REVOKE",
  `${acct} GRANT SELECT, INSERT ON accounts TO PUBLIC;`,
  `${acct} GRANT SELECT ON accounts TO PUBLIC;`,
);

// COMMENT ON.
add("comment: on a table", acct, `${acct} COMMENT ON TABLE accounts IS 'Accounts';`);
add("comment: on a column", acct, `${acct} COMMENT ON COLUMN accounts.manager IS 'Who';`);
add(
  "comment: changed and removed",
  `${acct} COMMENT ON TABLE accounts IS 'a'; COMMENT ON COLUMN accounts.company IS 'c';`,
  `${acct} COMMENT ON TABLE accounts IS 'b';`,
);
add(
  "comment: on an index",
  `${acct} CREATE INDEX acc_m ON accounts (manager);`,
  `${acct} CREATE INDEX acc_m ON accounts (manager); COMMENT ON INDEX acc_m IS 'lookup';`,
);
add(
  "comment: on a view",
  `${acct} CREATE VIEW v AS SELECT manager FROM accounts;`,
  `${acct} CREATE VIEW v AS SELECT manager FROM accounts; COMMENT ON VIEW v IS 'managers';`,
);
add("comment: on a function", fn, `${fn} COMMENT ON FUNCTION add(integer, integer) IS 'sum';`);
add("comment: on a type", mood, `${mood} COMMENT ON TYPE mood IS 'feelings';`);

// 5.9 Schemas, 5.11 partitioning, extensions.
add("5.9 a schema", "CREATE TABLE a (x int);", "CREATE SCHEMA app; CREATE TABLE a (x int);", {
  refused: /schema/i,
});
add("5.9 a table in another schema", "CREATE TABLE a (x int);", "CREATE SCHEMA app; CREATE TABLE app.b (y int);", {
  refused: /schema/i,
});
add(
  "5.11 a partitioned table",
  "CREATE TABLE a (x int);",
  "CREATE TABLE a (x int); CREATE TABLE m (d date, v int) PARTITION BY RANGE (d);",
);
add(
  "extension: created",
  "CREATE TABLE a (x int);",
  "CREATE EXTENSION IF NOT EXISTS pgcrypto; CREATE TABLE a (x int);",
);
add(
  "5.10 inheritance",
  "CREATE TABLE cities (name text);",
  "CREATE TABLE cities (name text); CREATE TABLE capitals (state char(2)) INHERITS (cities);",
  { refused: /partitioned and inherited tables are not modelled/ },
);

// More from the reference pages (ALTER TYPE, ALTER SEQUENCE, CREATE FUNCTION, CREATE POLICY, GRANT).
add(
  "enum: two types, one changed",
  `${mood} CREATE TYPE size AS ENUM ('s', 'm');`,
  `${mood} CREATE TYPE size AS ENUM ('s', 'm', 'l');`,
  { oneWay: true },
);
add(
  "enum: a column moved from text to the enum",
  "CREATE TABLE p (id int, m text);",
  `${mood} CREATE TABLE p (id int, m mood);`,
  { data: "INSERT INTO p VALUES (1, 'ok');", check: "SELECT id, m::text FROM p", oneWay: true },
);
table("serial: integer to bigint keeps the sequence", "n serial", "n bigserial", { oneWay: true });
table("identity: dropped", "a int, n int GENERATED BY DEFAULT AS IDENTITY", "a int");
table(
  "generated: its expression changed",
  "a int, b int GENERATED ALWAYS AS (a * 2) STORED",
  "a int, b int GENERATED ALWAYS AS (a * 3) STORED",
);
table("5.4 check: NOT VALID", "n int", "n int, CONSTRAINT c_n CHECK (n > 0) NOT VALID");
add(
  "sequence: OWNED BY changed",
  "CREATE TABLE p (a int, b int); CREATE SEQUENCE s OWNED BY p.a;",
  "CREATE TABLE p (a int, b int); CREATE SEQUENCE s OWNED BY p.b;",
);
add(
  "sequence: a descending one",
  "CREATE TABLE p (id int);",
  "CREATE TABLE p (id int); CREATE SEQUENCE d INCREMENT BY -1;",
);
add(
  "function: default arguments",
  "CREATE TABLE p (id int);",
  "CREATE TABLE p (id int); CREATE FUNCTION inc(a int, b int DEFAULT 1) RETURNS int LANGUAGE sql AS $$ SELECT a + b $$;",
);
add(
  "function: SECURITY DEFINER and SET search_path",
  "CREATE TABLE p (id int);",
  `CREATE TABLE p (id int); CREATE FUNCTION n() RETURNS bigint LANGUAGE sql STABLE SECURITY DEFINER
   SET search_path = public AS $$ SELECT count(*) FROM p $$;`,
);
add(
  "function: RETURNS TABLE",
  "CREATE TABLE p (id int);",
  "CREATE TABLE p (id int); CREATE FUNCTION ids() RETURNS TABLE (id int) LANGUAGE sql AS $$ SELECT id FROM p $$;",
);
add(
  "trigger: a statement-level trigger",
  `${trgTable} ${trgFn}`,
  `${trgTable} ${trgFn} CREATE TRIGGER p_stmt AFTER DELETE ON p FOR EACH STATEMENT EXECUTE FUNCTION touch();`,
);
add(
  "5.8 a policy WITH CHECK for INSERT",
  acct,
  `${acct} CREATE POLICY ins ON accounts FOR INSERT TO PUBLIC WITH CHECK (manager = current_user);`,
);
add("5.8 a RESTRICTIVE policy", acct, `${acct} CREATE POLICY r ON accounts AS RESTRICTIVE USING (company <> 'x');`);
add(
  "5.8 FORCE ROW LEVEL SECURITY",
  acct,
  `${acct} ALTER TABLE accounts ENABLE ROW LEVEL SECURITY;
  ALTER TABLE accounts FORCE ROW LEVEL SECURITY;`,
);
add("5.7 GRANT on a sequence", "CREATE SEQUENCE s;", "CREATE SEQUENCE s; GRANT USAGE ON SEQUENCE s TO PUBLIC;");
add(
  "5.7 GRANT on a view",
  `${acct} CREATE VIEW v AS SELECT manager FROM accounts;`,
  `${acct} CREATE VIEW v AS SELECT manager FROM accounts; GRANT SELECT ON v TO PUBLIC;`,
);
add(
  "comment: on a column of a new table",
  "CREATE TABLE a (x int);",
  "CREATE TABLE a (x int); CREATE TABLE b (y int); COMMENT ON COLUMN b.y IS 'why';",
);
add(
  "comment: on a trigger",
  `${trgTable} ${trgFn} CREATE TRIGGER p_touch BEFORE UPDATE ON p FOR EACH ROW EXECUTE FUNCTION touch();`,
  `${trgTable} ${trgFn} CREATE TRIGGER p_touch BEFORE UPDATE ON p FOR EACH ROW EXECUTE FUNCTION touch(); COMMENT ON TRIGGER p_touch ON p IS 'keeps updated';`,
);
add(
  "comment: on a constraint",
  "CREATE TABLE c (n int CONSTRAINT pos CHECK (n > 0));",
  "CREATE TABLE c (n int CONSTRAINT pos CHECK (n > 0)); COMMENT ON CONSTRAINT pos ON c IS 'positive';",
);

/** Every case, in the order written. */
export const PG_CORPUS: readonly PgCase[] = cases;
