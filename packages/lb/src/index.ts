// @tandem/lb: see README.md; its parts arrive with their issues.
export {};
