/**
 * Character classes that make text unsafe to store or echo, defined once: the input rule for text
 * fields (`safeText` in schemas.ts) and the output rule for problem documents (`boundedText` in
 * problem.ts) use the same sets. As regular-expression sources, for the flags each use needs.
 */

/** C0 controls, DEL and C1 controls (NUL, CR/LF header splitting, terminal escapes, NEL). */
export const CONTROL = "\\u0000-\\u001f\\u007f-\\u009f";
/** The same, minus TAB, LF and CR (allowed in multi-line text). */
export const CONTROL_EXCEPT_LINE_BREAKS = "\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f";
/**
 * Bidirectional embeddings, overrides (U+202A-202E) and isolates (U+2066-2069): text that displays
 * differently than it reads ("Trojan Source", CVE-2021-42574).
 */
export const BIDI_CONTROL = "\\u202a-\\u202e\\u2066-\\u2069";
/**
 * Every invisible format character, Unicode general category Cf: zero-width space and joiners, LRM/RLM,
 * the word joiner and the invisible operators (U+2060-2064), soft hyphen, BOM, tag characters, and the
 * bidirectional controls above. By category, not by list, so no member of the class is missed. Needs
 * the `u` flag. https://www.unicode.org/reports/tr44/#General_Category_Values
 */
export const FORMAT = "\\p{Cf}";
/** Code points Unicode leaves unassigned (Cn), noncharacters included: how they render is undefined. Needs `u`. */
export const UNASSIGNED = "\\p{Cn}";
/** A high surrogate not followed by a low one, or a low one not preceded by a high one (not well-formed UTF-16). */
export const LONE_SURROGATE = "[\\ud800-\\udbff](?![\\udc00-\\udfff])|(?<![\\ud800-\\udbff])[\\udc00-\\udfff]";
