/**
 * `dynamic_rule_start` and `dynamic_rule_change` {group, rule}: the group ends up holding exactly the
 * portal's users that match the rule. The two differ only in what they accept: start creates the group
 * if absent and gives it the rule (also replacing the rule of a group that has one, so a retried start
 * is harmless); change needs a group that already has a rule.
 *
 * The rule is stored on the group when the action starts, so user uploads running meanwhile already
 * follow it; then every user of the portal is staged (`total` = the portal's users) and each slice
 * re-evaluates its users with the same SQL predicate the uploads use (see portal-data/rules.ts).
 * The report lists only problems: a user whose email has no domain, under an emailDomain rule.
 */
import { and, asc, eq, gt, isNotNull, sql } from "drizzle-orm";
import type { FieldProblem } from "../../actions/errors";
import { ROLES } from "../../actions/model";
import type { ParamsOf } from "../../actions/params";
import type { Principal } from "../../actions/principal";
import type { Db } from "../../db/client";
import { groups, users } from "../../db/schema";
import type { ActionHandler, EngineContext, ReportLine, StagedItem, Stager } from "../handler";
import { isDryRun, WholeActionError } from "../handler";
import { findGroup, unknownGroupProblem } from "../portal-data/lookups";
import { emailDomain, normaliseRule, syncRuleGroup } from "../portal-data/rules";

type Params = ParamsOf<"dynamic_rule_start">;

/** A staged item: [userId, email]. */
type Item = [number, string];

/** Users read per query while staging. */
const USER_PAGE = 1_000;

/** A role rule that compares with something other than a role can only match nobody (or everybody). */
function ruleProblems(params: Params): FieldProblem[] {
  const { attribute, operator, value } = params.rule;
  if (attribute !== "role" || operator === "contains") return [];
  if ((ROLES as readonly string[]).includes(value.trim().toLowerCase())) return [];
  return [
    {
      path: "params.rule.value",
      message: `params.rule.value must be a role (${ROLES.join(", ")}) for a role rule`,
    },
  ];
}

/** Stages every user of the portal, by id. */
async function stageUsers(db: Db, portalId: string, stage: Stager): Promise<void> {
  let after = 0;
  for (;;) {
    const page = await db
      .select({ id: users.id, email: users.email })
      .from(users)
      .where(and(eq(users.portalId, portalId), gt(users.id, after)))
      .orderBy(asc(users.id))
      .limit(USER_PAGE);
    for (const user of page) await stage.add([user.id, user.email] satisfies Item);
    if (page.length < USER_PAGE) return;
    after = page[page.length - 1]!.id;
  }
}

/**
 * Re-evaluates the batch's users against the group's stored rule; reports users it cannot judge. A dry run
 * stored no rule (the group may not even exist yet): it judges by the rule of its params, writing nothing.
 */
async function applyRule(ctx: EngineContext, items: StagedItem[]) {
  const { group, rule } = ctx.params as Params;
  const stored = await findGroup(ctx.db, ctx.action.portalId, group);
  if (!stored?.rule && !isDryRun(ctx))
    throw new WholeActionError(`The group "${group}" no longer has a rule.`);
  const staged = items as StagedItem<Item>[];
  const report: ReportLine[] = [];
  if (rule.attribute === "emailDomain") {
    for (const { position, item } of staged) {
      if (emailDomain(item[1])) continue;
      report.push({
        row: position + 1,
        status: "Warning",
        identifier: item[1] || "(blank)",
        issue:
          "This user's email address has no domain, so the email-domain rule cannot match it; the user is not in the group.",
        resolution: "Correct the user's email address with a user upload; the group follows automatically.",
      });
    }
  }
  const ids = JSON.stringify(staged.map(({ item }) => [item[0]]));
  return {
    statements: stored ? syncRuleGroup(ctx.db, stored.id, ctx.now, ids) : [],
    report,
    errors: 0,
    warnings: report.length,
  };
}

export const dynamicRuleStart: ActionHandler = {
  async checkSubmission(_db, _who, params) {
    return ruleProblems(params as Params);
  },
  async prepare(ctx, stage) {
    const { group, rule } = ctx.params as Params;
    if (isDryRun(ctx)) return stageUsers(ctx.db, ctx.action.portalId, stage);
    await ctx.db
      .insert(groups)
      .values({
        portalId: ctx.action.portalId,
        name: group,
        rule: JSON.stringify(normaliseRule(rule)),
        createdAt: ctx.now,
      })
      .onConflictDoUpdate({ target: [groups.portalId, groups.name], set: { rule: sql`excluded.rule` } });
    await stageUsers(ctx.db, ctx.action.portalId, stage);
  },
  apply: applyRule,
};

export const dynamicRuleChange: ActionHandler = {
  async checkSubmission(db: Db, who: Principal, params) {
    const { group } = params as Params;
    const found = await findGroup(db, who.portal, group);
    if (!found) return [unknownGroupProblem(group), ...ruleProblems(params as Params)];
    if (!found.rule) {
      return [
        {
          path: "params.group",
          message: `params.group "${group}" has no rule (its members are managed by hand): start one with dynamic_rule_start`,
        },
      ];
    }
    return ruleProblems(params as Params);
  },
  async prepare(ctx, stage) {
    const { group, rule } = ctx.params as Params;
    const where = and(
      eq(groups.portalId, ctx.action.portalId),
      eq(groups.name, group),
      isNotNull(groups.rule),
    );
    const [changed] = isDryRun(ctx)
      ? await ctx.db.select({ id: groups.id }).from(groups).where(where)
      : await ctx.db
          .update(groups)
          .set({ rule: JSON.stringify(normaliseRule(rule)) })
          .where(where)
          .returning({ id: groups.id });
    if (!changed)
      throw new WholeActionError(`The group "${group}" no longer exists or no longer has a rule.`);
    await stageUsers(ctx.db, ctx.action.portalId, stage);
  },
  apply: applyRule,
};
