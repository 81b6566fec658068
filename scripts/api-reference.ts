/**
 * `npm run docs:api [-- --check]`: writes components/API.md, the component package's API reference,
 * from the JSDoc of everything its entry point (components/index.ts) exports, read with the
 * TypeScript compiler API. `--check` writes nothing and exits 1 when the file differs:
 * test/components/package-api.test.ts runs it, so the reference cannot drift from the code.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import ts from "typescript";

const ROOT = path.resolve(__dirname, "..");
export const PACKAGE_DIR = path.join(ROOT, "components");
export const API_DOC = path.join(PACKAGE_DIR, "API.md");

/** A symbol's JSDoc text and tags, as markdown (tags other than @default become a line each). */
function docOf(symbol: ts.Symbol, checker: ts.TypeChecker): { text: string; defaultValue?: string } {
  const text = ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim();
  let defaultValue: string | undefined;
  const extra: string[] = [];
  for (const tag of symbol.getJsDocTags(checker)) {
    const body = ts.displayPartsToString(tag.text).trim();
    if (tag.name === "default") defaultValue = body;
    else extra.push(`*@${tag.name}* ${body}`.trim());
  }
  return { text: [text, ...extra].filter(Boolean).join(" "), ...(defaultValue !== undefined ? { defaultValue } : {}) };
}

/** One line of a table cell: no pipes or line breaks. */
function cell(s: string): string {
  return s.replace(/\r?\n\s*/g, " ").replace(/\|/g, "\\|").trim();
}

/** A type as written in the declaration (keeps the author's names), else as the checker prints it. */
function typeText(decl: ts.Declaration | undefined, symbol: ts.Symbol, checker: ts.TypeChecker): string {
  const node = decl && (ts.isPropertySignature(decl) || ts.isPropertyDeclaration(decl) || ts.isParameter(decl)) ? decl.type : undefined;
  if (node) return node.getText().replace(/\s+/g, " ");
  return checker.typeToString(checker.getTypeOfSymbol(symbol), undefined, ts.TypeFormatFlags.NoTruncation);
}

/** Args tables have a Default column (JSDoc `@default`, or "required"); a class's fields do not. */
function propertiesTable(members: readonly ts.Symbol[], checker: ts.TypeChecker, withDefaults = true): string[] {
  if (members.length === 0) return ["(no properties)", ""];
  const lines = withDefaults ? ["| Name | Type | Default | Description |", "|---|---|---|---|"] : ["| Name | Type | Description |", "|---|---|---|"];
  for (const member of members) {
    const decl = member.valueDeclaration ?? member.declarations?.[0];
    const optional = (member.flags & ts.SymbolFlags.Optional) !== 0;
    const { text, defaultValue } = docOf(member, checker);
    // A symbol-keyed member's internal name (`__@BRAND@741`) numbers symbols in checker order: show it as written.
    const written = decl && (ts.isPropertyDeclaration(decl) || ts.isPropertySignature(decl)) && ts.isComputedPropertyName(decl.name) ? decl.name.getText() : member.name;
    const name = `\`${written}${optional ? "?" : ""}\``;
    const def = defaultValue !== undefined ? cell(defaultValue) : optional ? "" : "required";
    const type = `\`${cell(typeText(decl, member, checker))}\``;
    lines.push(withDefaults ? `| ${name} | ${type} | ${def} | ${cell(text)} |` : `| ${name} | ${type} | ${cell(text)} |`);
  }
  return [...lines, ""];
}

function signature(decl: ts.SignatureDeclaration, name: string): string {
  const params = decl.parameters.map((p) => p.getText().replace(/\s+/g, " ")).join(", ");
  const returns = decl.type ? `: ${decl.type.getText().replace(/\s+/g, " ")}` : "";
  return `${name}(${params})${returns}`;
}

/** Public instance members of a class (fields and methods), declaration order. */
function publicMembers(decl: ts.ClassDeclaration): ts.ClassElement[] {
  return decl.members.filter(
    (m) =>
      (ts.isPropertyDeclaration(m) || ts.isMethodDeclaration(m)) &&
      !m.modifiers?.some((mod) => [ts.SyntaxKind.PrivateKeyword, ts.SyntaxKind.ProtectedKeyword, ts.SyntaxKind.StaticKeyword].includes(mod.kind)) &&
      !(m.name && ts.isPrivateIdentifier(m.name)),
  );
}

/**
 * Programs already built in this process, by entry point: the reference and the export check read the
 * same package, and building a program over azure-native's typings is most of their time. A program
 * is reused only while every file of the package it read (outside node_modules) has the same text on
 * disk and the compiler options are the same.
 */
const programs = new Map<string, { readonly options: string; readonly program: ts.Program }>();

/**
 * Installed packages' files parsed by an earlier program in this process (a package's own folder,
 * the fixture's, a copy of it: all read @types/node and @pulumi/pulumi's typings), by path and by
 * what parsing depends on (the host's options for the file, and the module settings that decide
 * whether it is a module). node_modules does not change while the process runs; the package's own
 * files are always read afresh.
 */
const installedFiles = new Map<string, ts.SourceFile>();

function hostSharingInstalledFiles(options: ts.CompilerOptions): ts.CompilerHost {
  const host = ts.createCompilerHost(options);
  const parse = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersionOrOptions, onError, shouldCreateNewSourceFile) => {
    if (shouldCreateNewSourceFile || !fileName.split(/[\\/]/).includes("node_modules")) return parse(fileName, languageVersionOrOptions, onError, shouldCreateNewSourceFile);
    const parsing = typeof languageVersionOrOptions === "object" ? languageVersionOrOptions : { languageVersion: languageVersionOrOptions };
    const key = JSON.stringify([fileName, parsing.languageVersion, parsing.impliedNodeFormat, parsing.jsDocParsingMode, options.module, options.moduleDetection, options.jsx]);
    let file = installedFiles.get(key);
    if (!file) {
      file = parse(fileName, languageVersionOrOptions, onError, shouldCreateNewSourceFile);
      if (file) installedFiles.set(key, file);
    }
    return file;
  };
  return host;
}

function cachedProgram(entry: string, options: ts.CompilerOptions): ts.Program {
  const key = JSON.stringify(options);
  const cached = programs.get(entry);
  const unchanged = (file: ts.SourceFile): boolean => {
    if (file.fileName.split(/[\\/]/).includes("node_modules")) return true;
    try {
      return readFileSync(file.fileName, "utf8") === file.text;
    } catch {
      return false;
    }
  };
  if (cached && cached.options === key && cached.program.getSourceFiles().every(unchanged)) return cached.program;
  const program = ts.createProgram({ rootNames: [entry], options, host: hostSharingInstalledFiles(options) });
  programs.set(entry, { options: key, program });
  return program;
}

/** The package's entry point compiled with its own tsconfig, and what it exports (aliases resolved). */
function entryExports(packageDir: string): { checker: ts.TypeChecker; exports: ts.Symbol[] } {
  const configPath = path.join(packageDir, "tsconfig.json");
  const config = ts.readConfigFile(configPath, (f) => readFileSync(f, "utf8"));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, packageDir);
  const entry = path.join(packageDir, "index.ts");
  const program = cachedProgram(entry, parsed.options);
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entry);
  const moduleSymbol = source && checker.getSymbolAtLocation(source);
  if (!moduleSymbol) throw new Error(`${entry}: no module to document`);
  const exports = checker
    .getExportsOfModule(moduleSymbol)
    .map((s) => ((s.flags & ts.SymbolFlags.Alias) !== 0 ? checker.getAliasedSymbol(s) : s))
    .sort((a, b) => a.name.localeCompare(b.name));
  return { checker, exports };
}

/**
 * Types the public API names but the entry point does not export: a consumer sees them in a
 * signature and cannot import them. Walks what a consumer sees (class constructors and public
 * members' annotations, function signatures, interfaces, type aliases, constants' annotations),
 * never bodies. Returns `"<Type> (used by <Export>)"` entries, sorted.
 */
export function unexportedApiTypes(packageDir: string = PACKAGE_DIR): string[] {
  const { checker, exports } = entryExports(packageDir);
  const exported = new Set(exports);
  const found = new Set<string>();
  const visitType = (owner: string, node: ts.Node | undefined): void => {
    if (!node) return;
    const check = (name: ts.EntityName | ts.Expression): void => {
      let symbol = checker.getSymbolAtLocation(ts.isQualifiedName(name) ? name.right : name);
      if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
      const decl = symbol?.declarations?.[0];
      if (!symbol || !decl || symbol.flags & ts.SymbolFlags.TypeParameter) return;
      const file = decl.getSourceFile().fileName;
      if (file.includes("/node_modules/") || decl.getSourceFile().isDeclarationFile) return;
      if (!exported.has(symbol)) found.add(`${symbol.name} (used by ${owner})`);
    };
    const walk = (n: ts.Node): void => {
      if (ts.isTypeReferenceNode(n)) check(n.typeName);
      else if (ts.isTypeQueryNode(n)) return;
      else if (ts.isExpressionWithTypeArguments(n)) check(n.expression);
      ts.forEachChild(n, walk);
    };
    walk(node);
  };
  const visitSignature = (owner: string, decl: ts.SignatureDeclaration): void => {
    for (const p of decl.parameters) visitType(owner, p.type);
    visitType(owner, decl.type);
  };
  for (const symbol of exports) {
    for (const decl of symbol.declarations ?? []) {
      if (ts.isClassDeclaration(decl)) {
        for (const h of decl.heritageClauses ?? []) visitType(symbol.name, h);
        for (const m of publicMembers(decl)) {
          if (ts.isPropertyDeclaration(m)) visitType(symbol.name, m.type);
          else if (ts.isMethodDeclaration(m)) visitSignature(symbol.name, m);
        }
        const ctor = decl.members.find(ts.isConstructorDeclaration);
        if (ctor) visitSignature(symbol.name, ctor);
      } else if (ts.isFunctionDeclaration(decl)) visitSignature(symbol.name, decl);
      else if (ts.isInterfaceDeclaration(decl) || ts.isTypeAliasDeclaration(decl)) visitType(symbol.name, decl);
      else if (ts.isVariableDeclaration(decl)) visitType(symbol.name, decl.type);
    }
  }
  return [...found].sort();
}

/** The reference for the package at `packageDir`, entry `index.ts`. */
export function renderApiReference(packageDir: string = PACKAGE_DIR): string {
  const { checker, exports } = entryExports(packageDir);
  const manifest = JSON.parse(readFileSync(path.join(packageDir, "package.json"), "utf8")) as { name: string; version: string };

  const isComponent = (s: ts.Symbol): boolean => {
    const decl = s.declarations?.find(ts.isClassDeclaration);
    return !!decl?.heritageClauses?.some((h) => h.types.some((t) => /ComponentResource$/.test(t.expression.getText())));
  };
  const groups: Array<[string, ts.Symbol[]]> = [
    ["Components", exports.filter(isComponent)],
    ["Other classes", exports.filter((s) => s.flags & ts.SymbolFlags.Class && !isComponent(s))],
    ["Functions", exports.filter((s) => s.flags & ts.SymbolFlags.Function)],
    ["Interfaces", exports.filter((s) => s.flags & ts.SymbolFlags.Interface)],
    ["Types", exports.filter((s) => s.flags & ts.SymbolFlags.TypeAlias)],
    ["Constants", exports.filter((s) => s.flags & ts.SymbolFlags.Variable)],
  ];

  const out: string[] = [
    `# ${manifest.name} ${manifest.version}: API reference`,
    "",
    "<!-- Generated by `npm run docs:api` from the JSDoc of components/index.ts's exports: do not edit; test/components/package-api.test.ts fails when it drifts. -->",
    "",
    ...groups.filter(([, symbols]) => symbols.length > 0).map(([title, symbols]) => `- [${title}](#${title.toLowerCase().replace(/ /g, "-")}): ${symbols.map((s) => `\`${s.name}\``).join(", ")}`),
    "",
  ];
  for (const [title, symbols] of groups) {
    if (symbols.length === 0) continue;
    out.push(`## ${title}`, "");
    for (const symbol of symbols) {
      const { text } = docOf(symbol, checker);
      out.push(`### ${symbol.name}`, "");
      const declFile = symbol.declarations?.[0]?.getSourceFile().fileName;
      if (declFile) out.push(`Source: \`${path.relative(packageDir, declFile).split(path.sep).join("/")}\``, "");
      if (text) out.push(text, "");
      const classDecl = symbol.declarations?.find(ts.isClassDeclaration);
      if (classDecl) {
        const ctor = classDecl.members.find(ts.isConstructorDeclaration);
        if (ctor) out.push("```ts", `new ${signature(ctor, symbol.name)}`, "```", "");
        const members = publicMembers(classDecl);
        const fields = members.filter(ts.isPropertyDeclaration).map((m) => checker.getSymbolAtLocation(m.name)).filter((s): s is ts.Symbol => !!s);
        if (fields.length > 0) out.push("Properties:", "", ...propertiesTable(fields, checker, false));
        const methods = members.filter(ts.isMethodDeclaration);
        if (methods.length > 0) {
          out.push("Methods:", "");
          for (const method of methods) {
            const methodSymbol = checker.getSymbolAtLocation(method.name);
            const methodDoc = methodSymbol ? docOf(methodSymbol, checker).text : "";
            out.push(`- \`${signature(method, method.name.getText())}\`${methodDoc ? `: ${cell(methodDoc)}` : ""}`);
          }
          out.push("");
        }
        continue;
      }
      const fn = symbol.declarations?.find(ts.isFunctionDeclaration);
      if (fn) {
        out.push("```ts", `function ${signature(fn, symbol.name)}`, "```", "");
        continue;
      }
      if (symbol.flags & ts.SymbolFlags.Interface) {
        const type = checker.getDeclaredTypeOfSymbol(symbol);
        out.push(...propertiesTable(checker.getPropertiesOfType(type), checker));
        continue;
      }
      const alias = symbol.declarations?.find(ts.isTypeAliasDeclaration);
      if (alias) {
        out.push("```ts", alias.getText().replace(/^export\s+/, ""), "```", "");
        continue;
      }
      const variable = symbol.declarations?.find(ts.isVariableDeclaration);
      if (variable) out.push("```ts", `const ${symbol.name}: ${typeText(undefined, symbol, checker)}`, "```", "");
    }
  }
  return `${out.join("\n").replace(/\n{3,}/g, "\n\n").trimEnd()}\n`;
}

export const USAGE = `usage: npm run docs:api [-- --check]

Writes components/API.md, the component package's API reference, from the JSDoc of what
components/index.ts exports. --check writes nothing and exits 1 when the file differs
(test/components/package-api.test.ts runs the same comparison).`;

function main(): void {
  const args = process.argv.slice(2);
  if (args.includes("--help") || args.includes("-h")) {
    console.log(USAGE);
    return;
  }
  const unknown = args.filter((a) => a !== "--check");
  if (unknown.length > 0) {
    console.error(`error: unknown argument ${unknown.join(" ")}\n\n${USAGE}`);
    process.exit(2);
  }
  const check = args.includes("--check");
  const rendered = renderApiReference();
  const current = existsSync(API_DOC) ? readFileSync(API_DOC, "utf8") : "";
  if (check) {
    if (current !== rendered) {
      console.error(`${path.relative(ROOT, API_DOC)} is stale: run \`npm run docs:api\` and commit the result`);
      process.exit(1);
    }
    console.log(`${path.relative(ROOT, API_DOC)} is up to date`);
    return;
  }
  writeFileSync(API_DOC, rendered);
  console.log(`wrote ${path.relative(ROOT, API_DOC)}`);
}

if (require.main === module) main();
