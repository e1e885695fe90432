"""Tests of the helpers shared by the ecosystem extractors."""

from pta_analyzer.extractors._ecosystems import glob_in
from tests.analyzer.conftest import MakeRepo


def test_glob_in_lists_only_the_directory_and_matches_relative_paths(
    make_repo: MakeRepo,
) -> None:
    index = make_repo(
        {
            "a/test/x_test.rb": "",
            "a/test/deep/y_test.rb": "",
            "ab/test/z_test.rb": "",
            "test/root_test.rb": "",
        }
    )

    assert glob_in(index, "a", "test/*_test.rb") == [
        "a/test/deep/y_test.rb",
        "a/test/x_test.rb",
    ]
    assert glob_in(index, "", "test/*_test.rb") == ["test/root_test.rb"]


def test_glob_in_handles_leading_wildcards_and_several_patterns(
    make_repo: MakeRepo,
) -> None:
    index = make_repo(
        {
            "gem/a.gemspec": "",
            "gem/sub/b.gemspec": "",
            "gem/src/bin/x.rs": "",
            "gem/src/binary.rs": "",
        }
    )

    assert glob_in(index, "gem", "*.gemspec") == ["gem/a.gemspec", "gem/sub/b.gemspec"]
    assert glob_in(index, "gem", "src/bin/*.rs", "*.gemspec") == [
        "gem/a.gemspec",
        "gem/src/bin/x.rs",
        "gem/sub/b.gemspec",
    ]
