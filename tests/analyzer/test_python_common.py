"""Path helpers of the Python rules: string cuts that agree with pathlib and glob."""

from pathlib import PurePosixPath

from hypothesis import given
from hypothesis import strategies as st

from pta_analyzer.extractors._python_common import directory_of, module_name
from pta_analyzer.extractors.python_wsgi import _python_files_under
from tests.analyzer.conftest import MakeRepo

# Normalised repository paths, as the index lists them: no "", "." or "..".
_PART = st.one_of(
    st.text(alphabet="ab._-é", min_size=1, max_size=6).filter(
        lambda part: part not in (".", "..")
    ),
    st.sampled_from(["__init__.py", "__main__.py", "app.py", ".py", "a.b.py"]),
)
_PATHS = st.lists(_PART, min_size=1, max_size=4).map("/".join)


@given(_PATHS)
def test_directory_of_is_the_pathlib_parent(path: str) -> None:
    parent = str(PurePosixPath(path).parent)

    assert directory_of(path) == ("" if parent == "." else parent)


@given(_PATHS, st.integers(min_value=0, max_value=3))
def test_module_name_is_the_dotted_pathlib_path(path: str, depth: int) -> None:
    parts = path.split("/")
    root = "/".join(parts[: min(depth, len(parts) - 1)])
    relative = path[len(root) + 1 :] if root else path
    expected = list(PurePosixPath(relative).with_suffix("").parts)
    if expected and expected[-1] == "__init__":
        expected.pop()

    assert module_name(path, root) == ".".join(expected)


def test_python_files_under_a_directory_are_the_glob(make_repo: MakeRepo) -> None:
    index = make_repo(
        {
            "a/x.py": "",
            "a/b/y.py": "",
            "ab/z.py": "",
            "a.py": "",
            "a/n.txt": "",
            "a/b/c.py.txt": "",
            "[a]/w.py": "",
        }
    )

    for directory in ("", "a", "a/b", "ab", "[a]", "missing"):
        prefix = f"{directory}/" if directory else ""
        expected = index.glob(f"{prefix}*.py")
        assert _python_files_under(index, directory) == expected, directory
