/** The shared vectors (tests/vectors/revocation.json), through both entry points. */

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { isRevoked, revocationCheck, type RevocationCheckOptions } from "../src/index.js";
import { decision, FakeTable, vectors } from "./fake.js";

const cases = vectors();

test("the vector file has at least 20 cases", () => {
  assert.ok(cases.length >= 20, `${cases.length} cases`);
});

for (const entry of ["revocationCheck", "isRevoked"] as const) {
  describe(`vectors through ${entry}`, () => {
    for (const c of cases) {
      test(c.name, async () => {
        const table = new FakeTable(c.table);
        let now = 0;
        const options = {
          tableName: "cutoffs",
          ...c.options,
          client: table,
          clock: () => now * 1000,
        } as RevocationCheckOptions;
        if (c.construction !== undefined) {
          assert.equal(c.construction, "error:config");
          assert.throws(() => revocationCheck(options), (err) => err instanceof TypeError || err instanceof RangeError);
          await assert.rejects(isRevoked({}, options), (err) => err instanceof TypeError || err instanceof RangeError);
          return;
        }
        const check = entry === "revocationCheck" ? revocationCheck(options) : undefined;
        for (const [i, step] of c.steps.entries()) {
          now = step.clock;
          if (step.table !== undefined) table.state = step.table;
          const run = () =>
            check !== undefined ? check({ header: {}, payload: step.claims }) : isRevoked(step.claims, options);
          const outcomes = await Promise.all(Array.from({ length: step.concurrent ?? 1 }, () => decision(run)));
          for (const outcome of outcomes) assert.equal(outcome, step.expect, `step ${i}`);
          assert.equal(table.lookups, step.lookups, `GetItem requests after step ${i}`);
        }
      });
    }
  });
}
