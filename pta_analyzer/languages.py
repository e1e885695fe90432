"""Which programming language a file is written in, from its name alone.

Only languages a program is written in are counted for the language shares;
data and prose formats (JSON, YAML, Markdown) are not languages of the project.
"""

EXTENSION_LANGUAGES: dict[str, str] = {
    ".py": "Python", ".pyi": "Python", ".pyx": "Python",
    ".js": "JavaScript", ".mjs": "JavaScript", ".cjs": "JavaScript",
    ".jsx": "JavaScript", ".ts": "TypeScript", ".tsx": "TypeScript",
    ".mts": "TypeScript", ".cts": "TypeScript", ".vue": "Vue", ".svelte": "Svelte",
    ".go": "Go", ".rs": "Rust", ".java": "Java", ".kt": "Kotlin", ".kts": "Kotlin",
    ".scala": "Scala", ".groovy": "Groovy", ".rb": "Ruby", ".erb": "Ruby",
    ".rake": "Ruby", ".php": "PHP", ".cs": "C#", ".fs": "F#", ".vb": "Visual Basic",
    ".c": "C", ".h": "C", ".cc": "C++", ".cpp": "C++", ".cxx": "C++", ".hpp": "C++",
    ".hh": "C++", ".m": "Objective-C", ".mm": "Objective-C", ".swift": "Swift",
    ".dart": "Dart", ".ex": "Elixir", ".exs": "Elixir", ".erl": "Erlang",
    ".hrl": "Erlang", ".clj": "Clojure", ".cljs": "Clojure", ".hs": "Haskell",
    ".lua": "Lua", ".pl": "Perl", ".pm": "Perl", ".r": "R", ".jl": "Julia",
    ".zig": "Zig", ".nim": "Nim", ".cr": "Crystal", ".gleam": "Gleam",
    ".sh": "Shell", ".bash": "Shell", ".zsh": "Shell", ".fish": "Shell",
    ".ps1": "PowerShell", ".html": "HTML", ".htm": "HTML", ".css": "CSS",
    ".scss": "SCSS", ".sass": "SCSS", ".less": "Less", ".sql": "SQL",
    ".tf": "HCL", ".sol": "Solidity", ".ml": "OCaml", ".elm": "Elm",
}  # fmt: skip

FILENAME_LANGUAGES: dict[str, str] = {
    "Dockerfile": "Dockerfile",
    "Makefile": "Makefile",
    "GNUmakefile": "Makefile",
    "Rakefile": "Ruby",
    "Gemfile": "Ruby",
    "Jenkinsfile": "Groovy",
}


def language_of(path: str) -> str | None:
    """The language of a file, or None for data, prose and unknown formats."""
    name = path.rsplit("/", 1)[-1]
    if name in FILENAME_LANGUAGES:
        return FILENAME_LANGUAGES[name]
    dot = name.rfind(".")
    suffix = name[dot:].lower() if dot > 0 else ""
    if name.startswith("Dockerfile") or suffix == ".dockerfile":
        return "Dockerfile"
    return EXTENSION_LANGUAGES.get(suffix)
