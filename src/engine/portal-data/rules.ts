/**
 * Dynamic group rules. A rule group's membership is a function of its users' attributes, so it is
 * evaluated in SQL, from the rule stored on the group: the rule actions and every user upload run the
 * same predicate, and a user changed by an upload joins or leaves rule groups in that upload's batch.
 *
 * Matching is case-insensitive (SQLite `lower()`, which folds ASCII letters only: "SALES" matches "sales",
 * "Ärzte" does not match "ärzte"). The email domain is the text after the `@`, without it; a user whose
 * email has no domain matches no emailDomain rule, whatever the operator.
 */
import { type SQL, sql } from "drizzle-orm";
import type { ParamsOf } from "../../actions/params";
import type { Db } from "../../db/client";
import type { Statement } from "../handler";

/** A rule as the params of the rule actions give it (validated at submission). */
export type Rule = ParamsOf<"dynamic_rule_start">["rule"];

/** The rule as stored: the value trimmed, and a leading `@` dropped from an email domain. */
export function normaliseRule(rule: Rule): Rule {
  const value = rule.value.trim();
  return { ...rule, value: rule.attribute === "emailDomain" ? value.replace(/^@+/, "") : value };
}

/** The domain of an email address as the predicate sees it ("" when there is none). */
export function emailDomain(email: string): string {
  const at = email.indexOf("@");
  return at < 0 ? "" : email.slice(at + 1).toLowerCase();
}

/** The user's attribute named by the rule of group `g`, lower-cased; NULL when it has none. */
const ATTRIBUTE = `(CASE g.rule ->> 'attribute'
  WHEN 'department' THEN lower(u.department)
  WHEN 'role' THEN lower(u.role)
  WHEN 'emailDomain' THEN CASE WHEN instr(u.email, '@') > 0
    THEN nullif(lower(substr(u.email, instr(u.email, '@') + 1)), '') END END)`;

/** 1 when user `u` matches the rule of group `g`; 0 or NULL otherwise. */
const MATCHES = sql.raw(`(CASE g.rule ->> 'operator'
  WHEN 'equals' THEN ${ATTRIBUTE} = lower(g.rule ->> 'value')
  WHEN 'notEquals' THEN ${ATTRIBUTE} <> lower(g.rule ->> 'value')
  WHEN 'contains' THEN instr(${ATTRIBUTE}, lower(g.rule ->> 'value')) > 0 END)`);

/**
 * Brings the membership of the rule groups `g` (those meeting `groupCondition`) in line with their rules,
 * for the users `u` that `users` selects (a join ending in `users u`): matching users join, others leave.
 */
function syncRuleMembers(db: Db, now: number, users: SQL, groupCondition: SQL): Statement[] {
  // CROSS JOIN fixes the join order: the rule groups first (few, often none: then the statement does
  // nothing at all), then only the users of the set, so a slice never scans the whole portal.
  const pairs = sql`FROM groups g CROSS JOIN ${users} WHERE ${groupCondition} AND g.rule IS NOT NULL`;
  return [
    db.run(sql`
      INSERT INTO group_members (group_id, user_id, added_at)
      SELECT g.id, u.id, ${now} ${pairs} AND coalesce(${MATCHES}, 0)
      ON CONFLICT DO NOTHING`),
    db.run(sql`
      DELETE FROM group_members WHERE (group_id, user_id) IN (
        SELECT g.id, u.id ${pairs} AND NOT coalesce(${MATCHES}, 0))`),
  ];
}

/** Re-evaluates every rule group of the portal for the users whose emails are in `emailsJson` (`[[email, …], …]`). */
export function syncRuleGroupsOfUsers(
  db: Db,
  portalId: string,
  now: number,
  emailsJson: string,
): Statement[] {
  return syncRuleMembers(
    db,
    now,
    sql`json_each(${emailsJson}) AS j CROSS JOIN users u ON u.portal_id = ${portalId} AND u.email = j.value ->> 0`,
    sql`g.portal_id = ${portalId}`,
  );
}

/** Re-evaluates one rule group for the users whose ids are in `idsJson` (`[[id, …], …]`). */
export function syncRuleGroup(db: Db, groupId: number, now: number, idsJson: string): Statement[] {
  return syncRuleMembers(
    db,
    now,
    sql`json_each(${idsJson}) AS j CROSS JOIN users u ON u.id = j.value ->> 0`,
    sql`g.id = ${groupId}`,
  );
}
