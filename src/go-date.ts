// Dates as Go's time.Time reads them: every event tweetstream writes must decode into the
// article's Go struct (its Date field), so a date Go would refuse is refused before publishing.

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Why Go's time.Time would refuse to unmarshal this RFC 3339 date, or null. Date.parse is
 * lenient where Go is not (2022-02-30, 24:00:00, lower-case t/z, offsets past 23:59), and
 * every event tweetstream writes must decode into the article's Go struct.
 */
export function goDateProblem(date: string): string | null {
  const m =
    /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-](\d{2}):(\d{2}))$/.exec(
      date,
    );
  if (!m) return "date must be an RFC 3339 timestamp, e.g. 2022-01-07T22:01:27.000Z";
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as number[];
  const leap = year! % 4 === 0 && (year! % 100 !== 0 || year! % 400 === 0);
  const days = month === 2 && !leap ? 28 : DAYS_IN_MONTH[month! - 1];
  if (days === undefined || day! < 1 || day! > days) return `date ${date}: no such day`;
  if (hour! > 23 || minute! > 59 || second! > 59) return `date ${date}: no such time of day`;
  if (m[9] !== undefined && (Number(m[9]) > 23 || Number(m[10]) > 59))
    return `date ${date}: time zone offset out of range`;
  return null;
}

/** the decimal number of `count` digits at `at` in d, or -1 */
function digitsAt(d: string, at: number, count: number): number {
  let x = 0;
  for (let i = at; i < at + count; i++) {
    const c = d.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    x = x * 10 + c;
  }
  return x;
}

/**
 * goDateProblem(date) === null, without allocating: YYYY-MM-DDTHH:MM:SS[.f{1,9}](Z|±HH:MM)
 * with a day the month has and a time of day that exists. Every such date is also one
 * eventProblem accepts (its RFC 3339 pattern, and Date.parse gives a time).
 */
export function isGoDate(d: string): boolean {
  const n = d.length;
  if (n < 20) return false;
  if (d[4] !== "-" || d[7] !== "-" || d[10] !== "T" || d[13] !== ":" || d[16] !== ":") return false;
  const year = digitsAt(d, 0, 4);
  const month = digitsAt(d, 5, 2);
  const day = digitsAt(d, 8, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > (month === 2 && !leap ? 28 : DAYS_IN_MONTH[month - 1]!)) return false;
  const hour = digitsAt(d, 11, 2);
  const minute = digitsAt(d, 14, 2);
  const second = digitsAt(d, 17, 2);
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return false;
  let i = 19;
  if (d[i] === ".") {
    let f = i + 1;
    while (f < n && f - i <= 9 && digitsAt(d, f, 1) >= 0) f++;
    if (f === i + 1) return false;
    i = f;
  }
  if (d[i] === "Z") return i + 1 === n;
  if ((d[i] !== "+" && d[i] !== "-") || i + 6 !== n || d[i + 3] !== ":") return false;
  const oh = digitsAt(d, i + 1, 2);
  const om = digitsAt(d, i + 4, 2);
  return oh >= 0 && oh <= 23 && om >= 0 && om <= 59;
}
