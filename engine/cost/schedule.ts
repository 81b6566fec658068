/**
 * How often a Functions timer trigger runs, from its schedule: an NCRONTAB expression with six fields
 * `{second} {minute} {hour} {day} {month} {day-of-week}` (learn.microsoft.com/azure/azure-functions/
 * functions-bindings-timer, "NCRONTAB expressions"), or a TimeSpan `hh:mm:ss` (the interval between
 * runs). Counted over the estimate's 30-day month, so "every minute" is 43,200 runs.
 */
import { DAYS_PER_MONTH } from "./prices";

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/** The values one field matches (`*`, `*\/n`, `a`, `a-b`, `a-b/n`, lists, month and day names). */
function fieldValues(field: string, min: number, max: number, names: readonly string[] = [], nameBase = 0): Set<number> | undefined {
  const values = new Set<number>();
  const value = (token: string): number | undefined => {
    const i = names.indexOf(token.toLowerCase());
    if (i >= 0) return i + nameBase;
    return /^\d+$/.test(token) ? Number(token) : undefined;
  };
  for (const part of field.split(",")) {
    const [range, stepText] = part.split("/");
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!range || !Number.isInteger(step) || step < 1) return undefined;
    let from: number | undefined;
    let to: number | undefined;
    if (range === "*") {
      from = min;
      to = max;
    } else if (range.includes("-")) {
      const [a, b] = range.split("-");
      from = value(a ?? "");
      to = value(b ?? "");
    } else {
      from = value(range);
      to = stepText === undefined ? from : max;
    }
    if (from === undefined || to === undefined || from < min || to > max || from > to) return undefined;
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return values;
}

/** Runs per 30-day month of a timer schedule; undefined when the schedule cannot be read. */
export function timerRunsPerMonth(schedule: string): number | undefined {
  const text = schedule.trim();
  const span = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})$/.exec(text);
  if (span) {
    const seconds = Number(span[1] ?? 0) * 86_400 + Number(span[2]) * 3600 + Number(span[3]) * 60 + Number(span[4]);
    return seconds > 0 ? Math.floor((DAYS_PER_MONTH * 86_400) / seconds) : undefined;
  }
  const fields = text.split(/\s+/);
  if (fields.length !== 6) return undefined;
  const seconds = fieldValues(fields[0]!, 0, 59);
  const minutes = fieldValues(fields[1]!, 0, 59);
  const hours = fieldValues(fields[2]!, 0, 23);
  const days = fieldValues(fields[3]!, 1, 31);
  const months = fieldValues(fields[4]!, 1, 12, MONTHS, 1);
  const weekdays = fieldValues(fields[5]!.replace(/\b7\b/g, "0"), 0, 6, DAYS);
  if (!seconds || !minutes || !hours || !days || !months || !weekdays) return undefined;
  // A representative 30-day window (2026-04-01 .. 2026-04-30): every weekday and day 1-30 occur.
  const start = Date.UTC(2026, 3, 1);
  let matchingDays = 0;
  for (let d = 0; d < DAYS_PER_MONTH; d++) {
    const date = new Date(start + d * 86_400_000);
    const dayRestricted = fields[3] !== "*" && fields[3] !== "?";
    const weekRestricted = fields[5] !== "*" && fields[5] !== "?";
    const dayOk = days.has(date.getUTCDate());
    const weekOk = weekdays.has(date.getUTCDay());
    // cron: when both day fields are restricted, either may match.
    const matches = dayRestricted && weekRestricted ? dayOk || weekOk : dayOk && weekOk;
    if (matches && months.has(date.getUTCMonth() + 1)) matchingDays += 1;
  }
  if (!months.has(4)) {
    // Outside the window's month: average over a year instead (12 months of 30 days).
    return Math.round((seconds.size * minutes.size * hours.size * DAYS_PER_MONTH * months.size) / 12);
  }
  return seconds.size * minutes.size * hours.size * matchingDays;
}

/** "every 1 min", "every 5 s", or the runs per day, for the report. */
export function describeRuns(runsPerMonth: number): string {
  const perDay = runsPerMonth / DAYS_PER_MONTH;
  const intervalSeconds = 86_400 / perDay;
  if (Number.isInteger(intervalSeconds) && intervalSeconds < 60) return `every ${intervalSeconds} s`;
  if (Number.isInteger(intervalSeconds / 60) && intervalSeconds < 86_400) return `every ${intervalSeconds / 60} min`;
  return `${Math.round(perDay * 100) / 100} runs/day`;
}
