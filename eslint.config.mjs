// Lint: typescript-eslint's recommended rules, plus the house rules that matter for this codebase.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", ".build/", "dist/", "coverage/", "**/*.js", "**/*.cjs", "**/*.mjs"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" }],
      // Importing the azure-native root loads all 271 modules (seconds, hundreds of MB).
      "no-restricted-imports": ["error", { paths: [{ name: "@pulumi/azure-native", message: "Import a submodule, e.g. @pulumi/azure-native/web." }] }],
    },
  },
);
