/**
 * A corpus of schema changes written from the MySQL 8 and MariaDB 10.11
 * manuals (CREATE TABLE, data types, ALTER TABLE, partitioning, stored
 * programs, views), chapter by chapter. mariadb_roundtrip_test.ts runs each
 * on the real server in both directions and once with the destructive guard
 * on.
 */

/** One schema change. */
export interface RoundTripCase {
  name: string;
  from: string;
  to: string;
  /** Rows inserted into the `from` database before the diff (forward direction and guard run). */
  data?: string;
  /** Rows inserted only for the run with the destructive guard on (the server would refuse to truncate them). */
  guardData?: string;
  /** A query whose result must be the same before and after (forward only). */
  check?: string;
  /** Only the case of names changes: MySQL keeps the old spelling, so snapshots are compared without case. */
  caseOnly?: boolean;
  /** A limit patchops knows of (README, "Known limits"): the case is reported as ignored, with this reason in its name. */
  knownLimit?: string;
  /** Skip the reverse direction (when it would lose the rows the check reads). */
  oneWay?: boolean;
}

const cases: RoundTripCase[] = [];
const add = (name: string, from: string, to: string, more?: Partial<RoundTripCase>) =>
  cases.push({ name, from, to, ...more });

/** A one-table case: `from` and `to` are the column lists. */
const table = (name: string, from: string, to: string, more?: Partial<RoundTripCase>) =>
  add(
    name,
    `CREATE TABLE t (id int NOT NULL PRIMARY KEY, ${from});`,
    `CREATE TABLE t (id int NOT NULL PRIMARY KEY, ${to});`,
    more,
  );

// Data types: numeric (widening keeps rows; the reverse narrows and needs --allow-destructive).
for (
  const [a, b] of [
    ["tinyint", "smallint"],
    ["smallint unsigned", "mediumint unsigned"],
    ["int", "bigint"],
    ["int unsigned", "bigint unsigned"],
    ["decimal(5,2)", "decimal(10,4)"],
    ["float", "double"],
    ["numeric(6)", "decimal(8,0)"],
    ["bit(4)", "bit(16)"],
    ["tinyint(1)", "int"],
    ["real", "double precision"],
    ["int zerofill", "bigint zerofill"],
    ["mediumint", "int"],
  ]
) {
  table(`types: ${a} to ${b}`, `v ${a}`, `v ${b}`, {
    data: "INSERT INTO t VALUES (1, 1), (2, 7);",
    check: "SELECT id, ROUND(v + 0) AS v FROM t ORDER BY id",
  });
}

table("types: an explicit display width", "v mediumint", "v int(10)", {
  knownLimit: "integer display widths are not reproduced",
});

// Data types: strings, binary, temporal.
for (
  const [a, b] of [
    ["varchar(10)", "varchar(200)"],
    ["char(4)", "varchar(4)"],
    ["varchar(255)", "text"],
    ["tinytext", "mediumtext"],
    ["text", "longtext"],
    ["binary(4)", "varbinary(16)"],
    ["blob", "mediumblob"],
    ["tinyblob", "longblob"],
    ["datetime", "datetime(6)"],
    ["time", "time(3)"],
    ["timestamp NULL", "timestamp(2) NULL"],
    ["date", "datetime"],
    ["year", "smallint"],
    ["varchar(20) CHARACTER SET latin1", "varchar(20) CHARACTER SET utf8mb4"],
    ["enum('a','b')", "enum('a','b','c')"],
    ["set('r','w')", "set('r','w','x')"],
    ["varchar(30)", "varchar(30) COLLATE utf8mb4_bin"],
    ["char(3) CHARACTER SET ascii", "char(3) CHARACTER SET ascii COLLATE ascii_bin"],
  ]
) {
  table(`types: ${a} to ${b}`, `v ${a}`, `v ${b}`, { data: "INSERT INTO t (id) VALUES (1), (2);" });
}

// Types the server spells its own way (each side must re-diff empty as written).
for (
  const col of [
    "v int(11) NOT NULL DEFAULT '0'",
    "v integer unsigned DEFAULT 5",
    "v bool NOT NULL DEFAULT FALSE",
    "v boolean DEFAULT true",
    "v dec(8,2) DEFAULT 3.5",
    "v fixed(6,1)",
    "v double(10,2) unsigned DEFAULT '1.25'",
    "v float(7,4)",
    "v character varying(12) DEFAULT 'x'",
    "v national varchar(10)",
    "v nchar(3)",
    "v long varchar",
    "v int1",
    "v int8 NOT NULL",
    "v middleint",
    "v char CHARACTER SET latin1",
    "v varchar(5) CHARSET utf8mb4",
    "v varchar(5) CHARACTER SET utf8 COLLATE utf8_unicode_ci",
    "v varchar(10) BINARY",
    "v varchar(10) CHARACTER SET latin1 BINARY",
    "v json",
    "v json NOT NULL DEFAULT '{}'",
    "v uuid",
    "v inet6",
    "v inet4",
    "v geometry",
    "v point NOT NULL",
    "v linestring",
    "v polygon",
    "v multipoint",
    "v geometrycollection",
    "v text COMPRESSED",
    "v varchar(100) COMPRESSED",
    "v serial",
    "v bigint unsigned zerofill",
    "v tinyint zerofill DEFAULT 3",
    "v year(4) DEFAULT 2024",
    "v timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP",
    "v datetime(3) DEFAULT now(3)",
    "v timestamp(6) NULL DEFAULT LOCALTIMESTAMP(6)",
    "v datetime DEFAULT '2024-01-01 00:00:00'",
    "v date DEFAULT DATE '2024-01-01'",
    "v time DEFAULT TIME '10:00:00'",
    "v datetime DEFAULT TIMESTAMP '2024-01-01 10:00:00'",
    "v decimal(10,2) DEFAULT 0",
    "v decimal(10,2) DEFAULT '12.5'",
    "v decimal(10,3) NOT NULL DEFAULT -1.5",
    "v double DEFAULT 1e3",
    "v bit(8) DEFAULT b'101'",
    "v int DEFAULT -1",
    "v varchar(20) DEFAULT 'it''s'",
    "v varchar(20) DEFAULT 'back\\\\slash'",
    "v varchar(20) DEFAULT _utf8mb4'intro'",
    "v varchar(36) DEFAULT (uuid())",
    "v int DEFAULT (1 + 2)",
    "v date DEFAULT (curdate())",
    "v varchar(10) DEFAULT (concat('a', 'b'))",
    "v varchar(20) DEFAULT (CAST(42 AS CHAR))",
    "v datetime DEFAULT (now() + INTERVAL 1 DAY)",
    "v blob DEFAULT ('abc')",
    "v text DEFAULT 'long default'",
    "v int NOT NULL INVISIBLE DEFAULT 1",
    "v enum('x','y') CHARACTER SET latin1 COLLATE latin1_bin DEFAULT 'y'",
    "v varchar(10) NOT NULL DEFAULT '' COMMENT 'with \\'quotes\\''",
    "status varchar(10)",
    "`key` int, `order` int",
  ]
) {
  add(
    `spelling: ${col}`,
    "CREATE TABLE t (id int NOT NULL PRIMARY KEY);",
    `CREATE TABLE t (id int NOT NULL PRIMARY KEY, ${col});`,
  );
}

// Column attributes that change.
table("attributes: add NOT NULL with a default", "v int", "v int NOT NULL DEFAULT 0");
table("attributes: drop a default", "v int DEFAULT 3", "v int");
table("attributes: change a comment", "v int COMMENT 'a'", "v int COMMENT 'b'");
table("attributes: case of a string default matters", "v varchar(5) DEFAULT 'Ann'", "v varchar(5) DEFAULT 'ann'");
table("attributes: invisible column", "v int", "v int INVISIBLE");
table("attributes: ON UPDATE added", "v timestamp NULL", "v timestamp NULL ON UPDATE CURRENT_TIMESTAMP");
table("attributes: collation of one column", "v varchar(10)", "v varchar(10) COLLATE utf8mb4_unicode_ci");
table("attributes: typed literal default changes", "v date DEFAULT DATE '2024-01-01'", "v date DEFAULT '2025-06-30'");
table("attributes: expression default changes", "v int DEFAULT (1 + 2)", "v int DEFAULT (2 * 3)");
table("attributes: column moved first", "a int, b int", "b int, a int", {
  data: "INSERT INTO t VALUES (1, 10, 20);",
  check: "SELECT a, b FROM t",
});

// Keys and index options.
table("indexes: USING HASH on a MEMORY-like btree table is kept", "v int, KEY k (v)", "v int, KEY k (v) USING HASH");
table("indexes: USING BTREE is the default", "v int, KEY k (v) USING BTREE", "v int, KEY k (v)");
table("indexes: index comment", "v int, KEY k (v)", "v int, KEY k (v) COMMENT 'lookup'");
table("indexes: IGNORED (MariaDB)", "v int, KEY k (v)", "v int, KEY k (v) IGNORED");
table("indexes: NOT IGNORED is the default", "v int, KEY k (v) NOT IGNORED", "v int, KEY k (v)");
table("indexes: KEY_BLOCK_SIZE", "v int, KEY k (v)", "v int, KEY k (v) KEY_BLOCK_SIZE=8");
table("indexes: prefix length", "v varchar(100), KEY k (v)", "v varchar(100), KEY k (v(10))");
table("indexes: descending part", "a int, b int, KEY k (a, b)", "a int, b int, KEY k (a, b DESC)");
table("indexes: names differ only in case", "v int, KEY Idx_V (v)", "v int, KEY idx_v (v)", { caseOnly: true });
table("indexes: unique becomes plain", "v int, UNIQUE KEY k (v)", "v int, KEY k (v)");
table("indexes: UNIQUE INDEX without a name", "v int", "v int, UNIQUE INDEX (v)");
table("indexes: CONSTRAINT name UNIQUE", "v int", "v int, CONSTRAINT uq_v UNIQUE (v)");
table("indexes: fulltext with two columns", "a text, b text", "a text, b text, FULLTEXT KEY ft (a, b)");
table("indexes: spatial", "g point NOT NULL", "g point NOT NULL, SPATIAL KEY sg (g)");
table("indexes: columns of an index reordered", "a int, b int, KEY k (a, b)", "a int, b int, KEY k (b, a)");
table("indexes: USING before the column list", "v int", "v int, KEY k USING BTREE (v)");

// Primary keys and AUTO_INCREMENT (the server needs a key on an AUTO_INCREMENT column at every step).
add(
  "primary key: move AUTO_INCREMENT to a new primary key column",
  "CREATE TABLE t (id int NOT NULL AUTO_INCREMENT PRIMARY KEY, v int);",
  "CREATE TABLE t (id int NOT NULL, v int NOT NULL AUTO_INCREMENT, PRIMARY KEY (v), KEY (id));",
);
add(
  "primary key: widen a composite key that holds the AUTO_INCREMENT column",
  "CREATE TABLE t (id int NOT NULL AUTO_INCREMENT, k int NOT NULL, PRIMARY KEY (id));",
  "CREATE TABLE t (id int NOT NULL AUTO_INCREMENT, k int NOT NULL, PRIMARY KEY (id, k));",
);
add(
  "primary key: drop AUTO_INCREMENT and the primary key",
  "CREATE TABLE t (id int NOT NULL AUTO_INCREMENT PRIMARY KEY, v int);",
  "CREATE TABLE t (id int NOT NULL, v int);",
);
add(
  "primary key: bigint unsigned auto increment",
  "CREATE TABLE t (id int NOT NULL AUTO_INCREMENT PRIMARY KEY);",
  "CREATE TABLE t (id bigint unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY);",
  { data: "INSERT INTO t VALUES (1), (2);", check: "SELECT id FROM t ORDER BY id" },
);
add(
  "primary key: PRIMARY KEY USING BTREE",
  "CREATE TABLE t (id int NOT NULL);",
  "CREATE TABLE t (id int NOT NULL, PRIMARY KEY (id) USING BTREE);",
);

// Foreign keys.
const parent = "CREATE TABLE p (id int NOT NULL PRIMARY KEY, code varchar(10), UNIQUE KEY (code));";
add(
  "foreign keys: unnamed, matched by content and not re-created",
  `${parent} CREATE TABLE c (id int PRIMARY KEY, p_id int, FOREIGN KEY (p_id) REFERENCES p (id));`,
  `${parent} CREATE TABLE c (id int PRIMARY KEY, p_id int, note int, FOREIGN KEY (p_id) REFERENCES p (id));`,
);
add(
  "foreign keys: two unnamed, one removed",
  `${parent} CREATE TABLE c (id int PRIMARY KEY, a int, b varchar(10), FOREIGN KEY (a) REFERENCES p (id),
    FOREIGN KEY (b) REFERENCES p (code));`,
  `${parent} CREATE TABLE c (id int PRIMARY KEY, a int, b varchar(10), FOREIGN KEY (b) REFERENCES p (code));`,
);
add(
  "foreign keys: ON DELETE SET NULL ON UPDATE CASCADE",
  `${parent} CREATE TABLE c (id int PRIMARY KEY, p_id int, CONSTRAINT fk FOREIGN KEY (p_id) REFERENCES p (id));`,
  `${parent} CREATE TABLE c (id int PRIMARY KEY, p_id int,
    CONSTRAINT fk FOREIGN KEY (p_id) REFERENCES p (id) ON DELETE SET NULL ON UPDATE CASCADE);`,
);
add(
  "foreign keys: NO ACTION is spelled out",
  `${parent} CREATE TABLE c (id int PRIMARY KEY, p_id int);`,
  `${parent} CREATE TABLE c (id int PRIMARY KEY, p_id int,
    CONSTRAINT fk FOREIGN KEY (p_id) REFERENCES p (id) ON DELETE NO ACTION);`,
);
add(
  "foreign keys: self reference",
  "CREATE TABLE n (id int PRIMARY KEY, up int);",
  "CREATE TABLE n (id int PRIMARY KEY, up int, CONSTRAINT n_up FOREIGN KEY (up) REFERENCES n (id));",
);
add(
  "foreign keys: referenced column widened together",
  "CREATE TABLE p (id int PRIMARY KEY); CREATE TABLE c (id int PRIMARY KEY);",
  "CREATE TABLE p (id int PRIMARY KEY); CREATE TABLE c (id int PRIMARY KEY, p_id int, KEY by_p (p_id), FOREIGN KEY (p_id) REFERENCES p (id));",
);
add(
  "foreign keys: ALTER TABLE ADD FOREIGN KEY in the schema file",
  `${parent} CREATE TABLE c (id int PRIMARY KEY, p_id int);`,
  `${parent} CREATE TABLE c (id int PRIMARY KEY, p_id int); ALTER TABLE c ADD FOREIGN KEY (p_id) REFERENCES p (id);`,
);

// CHECK constraints.
table("checks: named check added", "v int", "v int, CONSTRAINT positive CHECK (v > 0)");
table(
  "checks: names differ only in case",
  "v int, CONSTRAINT Positive CHECK (v > 0)",
  "v int, CONSTRAINT positive CHECK (v > 0)",
  { caseOnly: true },
);
table(
  "checks: IN list and BETWEEN",
  "v int",
  "v int, CONSTRAINT c1 CHECK (v IN (1, 2, 3)), CONSTRAINT c2 CHECK (v BETWEEN 0 AND 9)",
);
table(
  "checks: string literal case kept",
  "v varchar(5), CONSTRAINT c CHECK (v <> 'A')",
  "v varchar(5), CONSTRAINT c CHECK (v <> 'a')",
);
table("checks: column check changes", "v int CHECK (v > 0)", "v int CHECK (v >= 0)");
table("checks: json_valid", "v longtext", "v longtext CHECK (json_valid(v))");

// Generated columns.
table("generated: virtual added", "a int", "a int, b int AS (a * 2)");
table("generated: stored added", "a int", "a int, b int GENERATED ALWAYS AS (a + 1) STORED");
table("generated: PERSISTENT is STORED", "a int", "a int, b int AS (a + 1) PERSISTENT");
table("generated: expression changed", "a int, b int AS (a + 1) VIRTUAL", "a int, b int AS (a + 2) VIRTUAL");
table("generated: virtual to stored", "a int, b int AS (a + 1) VIRTUAL", "a int, b int AS (a + 1) STORED");
table("generated: string function", "a varchar(10)", "a varchar(10), b varchar(10) AS (upper(a)) VIRTUAL");
table(
  "generated: indexed virtual column",
  "a int, b int AS (a % 10) VIRTUAL",
  "a int, b int AS (a % 10) VIRTUAL, KEY kb (b)",
);

// Table options.
add("table options: engine Aria", "CREATE TABLE t (id int);", "CREATE TABLE t (id int) ENGINE=Aria;", {
  knownLimit: "leaving Aria keeps PAGE_CHECKSUM=1",
});
add("table options: MyISAM", "CREATE TABLE t (id int) ENGINE=InnoDB;", "CREATE TABLE t (id int) ENGINE=MyISAM;");
add(
  "table options: ROW_FORMAT=COMPRESSED",
  "CREATE TABLE t (id int);",
  "CREATE TABLE t (id int) ROW_FORMAT=COMPRESSED;",
);
add("table options: comment with a quote", "CREATE TABLE t (id int);", "CREATE TABLE t (id int) COMMENT='it''s';");
add(
  "table options: DEFAULT CHARACTER SET = latin1",
  "CREATE TABLE t (id int, v varchar(10));",
  "CREATE TABLE t (id int, v varchar(10)) DEFAULT CHARACTER SET = latin1;",
);
add("table options: STATS_PERSISTENT", "CREATE TABLE t (id int);", "CREATE TABLE t (id int) STATS_PERSISTENT=0;");
add(
  "table options: AUTO_INCREMENT=N is ignored",
  "CREATE TABLE t (id int AUTO_INCREMENT PRIMARY KEY);",
  "CREATE TABLE t (id int AUTO_INCREMENT PRIMARY KEY) AUTO_INCREMENT=100;",
);
add("table options: PAGE_COMPRESSED", "CREATE TABLE t (id int);", "CREATE TABLE t (id int) PAGE_COMPRESSED=1;");
add(
  "table options: options separated by commas",
  "CREATE TABLE t (id int);",
  "CREATE TABLE t (id int) ENGINE=InnoDB, COMMENT='c';",
);

// Partitioning.
const ranged = `CREATE TABLE t (id int NOT NULL, d date NOT NULL, PRIMARY KEY (id, d))`;
add(
  "partitions: RANGE added",
  `${ranged};`,
  `${ranged} PARTITION BY RANGE (year(d)) (PARTITION p0 VALUES LESS THAN (2000),
  PARTITION p1 VALUES LESS THAN MAXVALUE);`,
  { data: "INSERT INTO t VALUES (1, '1999-05-01'), (2, '2024-01-01');" },
);
add(
  "partitions: RANGE COLUMNS",
  `${ranged};`,
  `${ranged} PARTITION BY RANGE COLUMNS(d) (PARTITION a VALUES LESS THAN ('2020-01-01'),
  PARTITION b VALUES LESS THAN (MAXVALUE));`,
);
add(
  "partitions: LIST with NULL",
  "CREATE TABLE t (id int, r int);",
  `CREATE TABLE t (id int, r int) PARTITION BY LIST (r)
  (PARTITION a VALUES IN (1,2) COMMENT 'x', PARTITION b VALUES IN (3, NULL));`,
);
add("partitions: HASH", "CREATE TABLE t (id int);", "CREATE TABLE t (id int) PARTITION BY HASH(id) PARTITIONS 4;");
add(
  "partitions: LINEAR HASH",
  "CREATE TABLE t (id int);",
  "CREATE TABLE t (id int) PARTITION BY LINEAR HASH(id) PARTITIONS 3;",
);
add(
  "partitions: KEY",
  "CREATE TABLE t (id int, c varchar(5));",
  "CREATE TABLE t (id int, c varchar(5)) PARTITION BY KEY(c) PARTITIONS 2;",
);
add(
  "partitions: HASH with one partition",
  "CREATE TABLE t (id int);",
  "CREATE TABLE t (id int) PARTITION BY HASH(id);",
);
add(
  "partitions: more partitions",
  "CREATE TABLE t (id int) PARTITION BY HASH(id) PARTITIONS 2;",
  "CREATE TABLE t (id int) PARTITION BY HASH(id) PARTITIONS 5;",
  { data: "INSERT INTO t VALUES (1), (2), (3);", check: "SELECT id FROM t ORDER BY id" },
);
add(
  "partitions: subpartitions",
  "CREATE TABLE t (id int, d date);",
  `CREATE TABLE t (id int, d date) PARTITION BY RANGE (year(d)) SUBPARTITION BY HASH (to_days(d)) SUBPARTITIONS 2
    (PARTITION a VALUES LESS THAN (2000), PARTITION b VALUES LESS THAN MAXVALUE);`,
);
add(
  "partitions: a partitioned table gets a wider primary key",
  "CREATE TABLE t (id int NOT NULL PRIMARY KEY, r int NOT NULL);",
  `CREATE TABLE t (id int NOT NULL, r int NOT NULL, PRIMARY KEY (id, r)) PARTITION BY LIST (r)
    (PARTITION a VALUES IN (1), PARTITION b VALUES IN (2));`,
  { data: "INSERT INTO t VALUES (1, 1), (2, 2);", check: "SELECT id, r FROM t ORDER BY id" },
);
add(
  "partitions: versioned comment as in a dump",
  "CREATE TABLE t (id int);",
  "CREATE TABLE t (id int) ENGINE=InnoDB /*!50100 PARTITION BY HASH (`id`) PARTITIONS 2 */;",
);
add(
  "partitions: new table created partitioned",
  "",
  "CREATE TABLE t (id int NOT NULL, PRIMARY KEY (id)) PARTITION BY RANGE (id) (PARTITION p0 VALUES LESS THAN (10) ENGINE = InnoDB, PARTITION p1 VALUES LESS THAN (20) ENGINE InnoDB);",
);

// Views, as the server rewrites them.
const base = "CREATE TABLE t (a int, b int, c varchar(10)); CREATE TABLE u (id int, t_a int);";
for (
  const [name, view] of [
    ["aliases", "SELECT a AS x, b y FROM t"],
    ["qualified columns", "SELECT t.a, t.b FROM t"],
    ["expression without alias", "SELECT a + b, concat(c, 'X') FROM t"],
    ["count(*)", "SELECT count(*) AS n FROM t"],
    ["IN list", "SELECT a FROM t WHERE a IN (1, 2)"],
    ["string case kept", "SELECT a FROM t WHERE c = 'Ann'"],
    ["join", "SELECT t.a, u.id FROM t JOIN u ON t.a = u.t_a"],
    ["left join with alias", "SELECT x.a, y.id FROM t AS x LEFT JOIN u AS y ON y.t_a = x.a"],
    ["group by and having", "SELECT a, sum(b) AS s FROM t GROUP BY a HAVING sum(b) > 1"],
    ["order by and limit", "SELECT a FROM t ORDER BY b DESC LIMIT 10"],
    ["distinct", "SELECT DISTINCT c FROM t"],
    ["window function", "SELECT a, row_number() OVER (ORDER BY b) AS rn FROM t"],
    ["subquery", "SELECT a FROM t WHERE a IN (SELECT t_a FROM u)"],
    ["union", "SELECT a FROM t UNION SELECT id FROM u"],
    ["case expression", "SELECT CASE WHEN a > 0 THEN 'pos' ELSE 'neg' END AS sign FROM t"],
    ["security invoker", "SELECT a FROM t"],
    ["with check option", "SELECT a, b FROM t WHERE a > 0"],
    ["cast and coalesce", "SELECT cast(a AS char) AS s, coalesce(b, 0) AS b0 FROM t"],
  ]
) {
  const head = name === "security invoker"
    ? "CREATE SQL SECURITY INVOKER VIEW"
    : name === "with check option"
    ? "CREATE ALGORITHM=MERGE VIEW"
    : "CREATE VIEW";
  const tail = name === "with check option" ? " WITH CASCADED CHECK OPTION" : "";
  add(`views: ${name}`, base, `${base} ${head} v AS ${view}${tail};`);
}
add(
  "views: a changed view",
  `${base} CREATE VIEW v AS SELECT a FROM t;`,
  `${base} CREATE VIEW v AS SELECT a, b FROM t;`,
);
add(
  "views: a view on a view",
  base,
  `${base} CREATE VIEW v1 AS SELECT a, b FROM t; CREATE VIEW v2 AS SELECT a FROM v1 WHERE b > 0;`,
);

// Triggers.
const tt = "CREATE TABLE t (a int, b varchar(10));";
add(
  "triggers: string literal case matters",
  `${tt} CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW SET NEW.b = 'Ann';`,
  `${tt} CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW SET NEW.b = 'ann';`,
);
add(
  "triggers: BEGIN END body with DELIMITER",
  tt,
  `${tt}
DELIMITER //
CREATE TRIGGER tr BEFORE UPDATE ON t FOR EACH ROW
BEGIN
  IF NEW.a < 0 THEN
    SET NEW.a = 0;
  END IF;
  SET NEW.b = upper(NEW.b);
END//
DELIMITER ;`,
);
add(
  "triggers: FOLLOWS",
  `${tt} CREATE TRIGGER t1 BEFORE INSERT ON t FOR EACH ROW SET NEW.a = 1;`,
  `${tt} CREATE TRIGGER t1 BEFORE INSERT ON t FOR EACH ROW SET NEW.a = 1;
  CREATE TRIGGER t2 BEFORE INSERT ON t FOR EACH ROW FOLLOWS t1 SET NEW.b = 'x';`,
);
add(
  "triggers: DEFINER",
  tt,
  `${tt} CREATE DEFINER=CURRENT_USER TRIGGER tr AFTER DELETE ON t FOR EACH ROW SET @n = OLD.a;`,
);

// Stored procedures, functions and events.
add(
  "routines: procedure",
  tt,
  `${tt}
DELIMITER ;;
CREATE PROCEDURE pr(IN x INT, OUT y varchar(10)) COMMENT 'hi' DETERMINISTIC BEGIN SELECT 'Ann' INTO y; END;;
DELIMITER ;`,
);
add(
  "routines: procedure body changes",
  `${tt} CREATE PROCEDURE pr() SELECT 1;`,
  `${tt} CREATE PROCEDURE pr() SELECT 2;`,
);
add("routines: function", tt, `${tt} CREATE FUNCTION f(x int) RETURNS int NO SQL DETERMINISTIC RETURN x + 1;`);
add(
  "routines: function returning a string with a charset",
  tt,
  `${tt} CREATE FUNCTION hello(s char(20)) RETURNS char(50) CHARSET utf8mb4 DETERMINISTIC RETURN concat('Hello, ', s, '!');`,
);
add(
  "routines: function body with BEGIN END",
  tt,
  `${tt}
DELIMITER //
CREATE FUNCTION twice(x int) RETURNS int DETERMINISTIC
BEGIN
  DECLARE y int;
  SET y = x * 2;
  RETURN y;
END//
DELIMITER ;`,
);
add(
  "routines: SQL SECURITY INVOKER and READS SQL DATA",
  tt,
  `${tt} CREATE PROCEDURE cnt() SQL SECURITY INVOKER READS SQL DATA SELECT count(*) FROM t;`,
);
add("routines: event every day", tt, `${tt} CREATE EVENT ev ON SCHEDULE EVERY 1 DAY DO DELETE FROM t WHERE a < 0;`);
add(
  "routines: event at a time, disabled, preserved",
  tt,
  `${tt} CREATE EVENT ev ON SCHEDULE AT '2035-01-01 00:00:00' ON COMPLETION PRESERVE DISABLE COMMENT 'later' DO DELETE FROM t;`,
);
add(
  "routines: event schedule changes",
  `${tt} CREATE EVENT ev ON SCHEDULE EVERY 1 DAY DO DELETE FROM t;`,
  `${tt} CREATE EVENT ev ON SCHEDULE EVERY 2 HOUR DO DELETE FROM t;`,
);
add(
  "routines: event with a BEGIN END body",
  tt,
  `${tt}
DELIMITER $$
CREATE EVENT cleanup ON SCHEDULE EVERY 1 WEEK STARTS '2030-01-01 00:00:00' DO
BEGIN
  DELETE FROM t WHERE a IS NULL;
  UPDATE t SET b = 'done';
END$$
DELIMITER ;`,
);
add(
  "routines: names differ only in case",
  `${tt} CREATE PROCEDURE Pr() SELECT 1;`,
  `${tt} CREATE PROCEDURE pr() SELECT 1;`,
  { caseOnly: true },
);

// Case-insensitive names.
table("names: column name case changes only", "Value int", "value int");
table("names: index names in a different case than the schema", "v int, KEY K1 (v)", "v int, KEY k1 (V)", {
  caseOnly: true,
});

// Renames with data.
add(
  "renames: column and index together",
  "CREATE TABLE t (id int PRIMARY KEY, a int, KEY ka (a));",
  `CREATE TABLE t (id int PRIMARY KEY,
  b int, -- @renamed from=a
  KEY kb (b) -- @renamed from=ka
);`,
  { data: "INSERT INTO t VALUES (1, 5);", oneWay: true },
);

// Destructive changes, with rows the guard must keep.
table("destructive: a column dropped", "a int, b int", "a int", {
  guardData: "INSERT INTO t VALUES (1, 2, 3);",
});
table("destructive: varchar narrowed", "v varchar(100)", "v varchar(5)", {
  guardData: "INSERT INTO t VALUES (1, 'abcdefgh');",
});
table("destructive: int to tinyint", "v int", "v tinyint", { guardData: "INSERT INTO t VALUES (1, 1000);" });
table("destructive: signed to unsigned", "v int", "v int unsigned", { guardData: "INSERT INTO t VALUES (1, -5);" });
table("destructive: enum value dropped", "v enum('a','b','c')", "v enum('a','b')", {
  guardData: "INSERT INTO t VALUES (1, 'c');",
});
table("destructive: charset to latin1", "v varchar(10)", "v varchar(10) CHARACTER SET latin1", {
  guardData: "INSERT INTO t VALUES (1, 'żółw');",
});
table("destructive: decimal scale narrowed", "v decimal(10,4)", "v decimal(10,2)", {
  guardData: "INSERT INTO t VALUES (1, 1.2345);",
});
table("destructive: stored generated to plain", "a int, b int AS (a + 1) STORED", "a int, b int", {
  guardData: "INSERT INTO t (id, a) VALUES (1, 5);",
});
table("destructive: plain to stored generated", "a int, b int", "a int, b int AS (a + 1) STORED", {
  guardData: "INSERT INTO t VALUES (1, 5, 99);",
});
table("destructive: text to varchar", "v text", "v varchar(10)", {
  guardData: "INSERT INTO t VALUES (1, 'a long text value');",
});
table("destructive: datetime(6) to datetime", "v datetime(6)", "v datetime", {
  guardData: "INSERT INTO t VALUES (1, '2024-01-01 10:00:00.123456');",
});
table("destructive: set value dropped", "v set('r','w','x')", "v set('r','w')", {
  guardData: "INSERT INTO t VALUES (1, 'r,x');",
});
add(
  "destructive: a table dropped",
  "CREATE TABLE keep (id int); CREATE TABLE gone (id int);",
  "CREATE TABLE keep (id int);",
  {
    guardData: "INSERT INTO gone VALUES (1);",
  },
);
add(
  "destructive: partitioning removed keeps rows",
  "CREATE TABLE t (id int) PARTITION BY HASH(id) PARTITIONS 3;",
  "CREATE TABLE t (id int);",
  { data: "INSERT INTO t VALUES (1), (2), (3);", check: "SELECT id FROM t ORDER BY id" },
);
add(
  "destructive: RANGE partitions reorganised keep rows",
  `${ranged} PARTITION BY RANGE (year(d)) (PARTITION p0 VALUES LESS THAN (2000), PARTITION p1 VALUES LESS THAN MAXVALUE);`,
  `${ranged} PARTITION BY RANGE (year(d)) (PARTITION p0 VALUES LESS THAN (1990), PARTITION p1 VALUES LESS THAN (2010),
    PARTITION p2 VALUES LESS THAN MAXVALUE);`,
  { data: "INSERT INTO t VALUES (1, '1999-05-01'), (2, '2024-01-01');", check: "SELECT id FROM t ORDER BY id" },
);

/** The corpus, in the order written. */
export const CORPUS: readonly RoundTripCase[] = cases;
