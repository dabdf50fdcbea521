/**
 * The held-out PostgreSQL suite (postgres_heldout.ts) on a real server: see _pg_heldout_suite.ts for what each test checks.
 *
 * Pass rate: `deno test --allow-all tests/sql/postgres_heldout_test.ts`
 * (the line "held-out: ..." at the end).
 */

import { PG_HELDOUT } from "./postgres_heldout.ts";
import { pgHeldoutSuite } from "./_pg_heldout_suite.ts";

pgHeldoutSuite("PostgreSQL held-out", "held-out", "ph", PG_HELDOUT);
