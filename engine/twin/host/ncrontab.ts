/**
 * Six-field NCRONTAB schedules as the Functions timer trigger reads them (`{second} {minute} {hour} {day}
 * {month} {day-of-week}`), evaluated in UTC (WEBSITE_TIME_ZONE is not emulated): `*`, numbers, ranges, lists, steps.
 * https://learn.microsoft.com/azure/azure-functions/functions-bindings-timer#ncrontab-expressions
 * Not emulated (refused): TimeSpan schedules, names of days or months.
 */
function cronField(field: string, min: number, max: number): Set<number> {
  const values = new Set<number>();
  for (const part of field.split(",")) {
    const [range, stepText] = part.split("/");
    const step = stepText ? Number(stepText) : 1;
    let lo = min;
    let hi = max;
    if (range !== "*") {
      const [a, b] = range!.split("-").map(Number);
      lo = a!;
      hi = b ?? (stepText ? max : a!);
    }
    if (![lo, hi, step].every(Number.isInteger)) throw new Error(`NCRONTAB field "${field}" is not emulated`);
    for (let v = lo; v <= hi; v += step) values.add(v);
  }
  return values;
}

export function nextOccurrence(schedule: string, after: Date): Date {
  const fields = schedule.trim().split(/\s+/);
  if (fields.length !== 6) throw new Error(`timer schedule "${schedule}" must have six NCRONTAB fields ({second} {minute} {hour} {day} {month} {day-of-week}); TimeSpan schedules are not emulated`);
  const [s, mi, h, d, mo, dow] = [cronField(fields[0]!, 0, 59), cronField(fields[1]!, 0, 59), cronField(fields[2]!, 0, 23), cronField(fields[3]!, 1, 31), cronField(fields[4]!, 1, 12), cronField(fields[5]!, 0, 6)];
  const t = new Date(Math.floor(after.getTime() / 1000) * 1000 + 1000);
  for (let i = 0; i < 366 * 24 * 3600; i++) {
    if (s.has(t.getUTCSeconds()) && mi.has(t.getUTCMinutes()) && h.has(t.getUTCHours()) && d.has(t.getUTCDate()) && mo.has(t.getUTCMonth() + 1) && dow.has(t.getUTCDay())) return t;
    t.setTime(t.getTime() + 1000);
  }
  throw new Error(`timer schedule "${schedule}" has no occurrence within a year`);
}

