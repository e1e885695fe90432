"""The walk: git's list or .gitignore, symlinks, special files, vendored trees."""

import os
import subprocess
from pathlib import Path

from pta_analyzer.index import RepoIndex
from pta_analyzer.walk import SkipReason, WalkLimits, walk_repository
from tests.analyzer.conftest import write_tree


def reasons(root: Path) -> dict[str, SkipReason]:
    return {e.path: e.reason for e in walk_repository(root).skipped}


def paths(root: Path) -> list[str]:
    return [e.path for e in walk_repository(root).files]


def test_filesystem_walk_honours_nested_gitignore(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        ".gitignore": "*.log\n/secret/\n",
        "app.py": "x = 1\n",
        "debug.log": "noise\n",
        "secret/key.txt": "k\n",
        "pkg/.gitignore": "generated.py\n!keep.log\n",
        "pkg/generated.py": "y = 2\n",
        "pkg/keep.log": "kept\n",
        "pkg/mod.py": "z = 3\n",
    })  # fmt: skip

    assert paths(tmp_path) == [".gitignore", "app.py", "pkg/.gitignore", "pkg/keep.log",
                               "pkg/mod.py"]  # fmt: skip


def test_git_work_tree_uses_git_file_list(tmp_path: Path) -> None:
    write_tree(
        tmp_path, {".gitignore": "ignored.txt\n", "a.py": "a\n", "ignored.txt": "i\n"}
    )
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)

    result = walk_repository(tmp_path)

    assert result.source == "git"
    assert [e.path for e in result.files] == [".gitignore", "a.py"]


def test_vendored_directories_are_counted_not_read(tmp_path: Path) -> None:
    write_tree(tmp_path, {"index.js": "1\n", "node_modules/a/index.js": "2\n",
                          "node_modules/b/index.js": "3\n"})  # fmt: skip

    result = walk_repository(tmp_path)

    assert [e.path for e in result.files] == ["index.js"]
    (vendored,) = result.skipped
    assert (vendored.path, vendored.reason, vendored.files) == (
        "node_modules/",
        SkipReason.VENDORED,
        2,
    )


def test_symlink_out_of_the_tree_is_never_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    write_tree(outside, {"passwd": "root:x:0:0\n"})
    root = write_tree(tmp_path / "repo", {"a.txt": "a\n"})
    (root / "escape").symlink_to(outside / "passwd")
    (root / "inside").symlink_to(root / "a.txt")
    (root / "loop").symlink_to(root / "loop")

    found = reasons(root)

    assert found["escape"] is SkipReason.SYMLINK_ESCAPE
    assert found["inside"] is SkipReason.SYMLINK
    assert found["loop"] is SkipReason.SYMLINK_ESCAPE
    assert paths(root) == ["a.txt"]


def test_fifo_is_listed_as_special_and_never_opened(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {"a.txt": "a\n"})
    os.mkfifo(root / "pipe")

    index = RepoIndex(root)

    assert {e.path: e.reason for e in index.skipped} == {
        "pipe": SkipReason.SPECIAL_FILE
    }
    assert index.read("pipe") is None


def test_files_over_the_size_cap_are_skipped(tmp_path: Path) -> None:
    write_tree(tmp_path, {"big.json": "x" * 2000, "small.py": "y\n"})

    result = walk_repository(tmp_path, WalkLimits(max_file_bytes=1000))

    assert [e.path for e in result.files] == ["small.py"]
    assert result.skipped[0].reason is SkipReason.TOO_LARGE


def test_file_limit_skips_the_rest_in_sorted_order(tmp_path: Path) -> None:
    write_tree(tmp_path, {f"f{i}.txt": "x\n" for i in range(5)})

    result = walk_repository(tmp_path, WalkLimits(max_files=3))

    assert [e.path for e in result.files] == ["f0.txt", "f1.txt", "f2.txt"]
    assert [e.reason for e in result.skipped] == [SkipReason.FILE_LIMIT] * 2


def test_excluded_output_directory_is_left_out(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.py": "a\n", "out/operate.json": "{}\n"})

    result = walk_repository(tmp_path, WalkLimits(exclude_dirs=("out",)))

    assert [e.path for e in result.files] == ["a.py"]
