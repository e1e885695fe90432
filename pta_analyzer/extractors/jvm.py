"""JVM builds: Maven and Gradle projects, Spring Boot, Flyway and Liquibase.

A build is rooted where its wrapper and settings live: the directory of a
``settings.gradle(.kts)`` for Gradle, the topmost directory of a chain of
``pom.xml`` files for Maven. Commands run there, with the wrapper when the
project ships one (``./gradlew``, ``./mvnw``). Subprojects contribute their
frameworks, services and Spring Boot run commands (``./gradlew :api:bootRun``).
"""

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pta_analyzer.deferred import regex
from pta_analyzer.evidence import Evidence
from pta_analyzer.extractors._ecosystems import (
    default_port,
    directory_of,
    existing,
    fact,
    glob_in,
    is_under,
    join,
    manifests,
    project_kind,
)
from pta_analyzer.facts import Fact, FactKind
from pta_analyzer.index import RepoIndex, SourceText
from pta_analyzer.scope import Scope
from pta_analyzer.services import service_of_dependency
from pta_analyzer.yamlmap import YNode, load_yaml

if TYPE_CHECKING:
    import xml.etree.ElementTree as ET

logger = logging.getLogger(__name__)

SPRING_BOOT_PORT = 8080
GRADLE_FILES = ("build.gradle", "build.gradle.kts")
JDBC_SERVICES: dict[str, str] = {
    "sqlite": "sqlite", "postgresql": "postgres", "mysql": "mysql",
    "mariadb": "mysql", "h2": "h2", "sqlserver": "mssql", "oracle": "oracle",
    "hsqldb": "hsqldb", "derby": "derby",
}  # fmt: skip
# Spring property prefixes that mean a backing service is configured.
PROPERTY_SERVICES: dict[str, str] = {
    "spring.data.redis.": "redis", "spring.redis.": "redis",
    "spring.data.mongodb.": "mongodb", "spring.rabbitmq.": "rabbitmq",
    "spring.kafka.bootstrap-servers": "kafka", "spring.elasticsearch.": "elasticsearch",
}  # fmt: skip
# Without the Spring Boot plugin, only a web starter marks an application.
WEB_STARTERS = frozenset(
    {
        "org.springframework.boot:spring-boot-starter-web",
        "org.springframework.boot:spring-boot-starter-webflux",
    }
)
MIGRATION_LIBRARIES: dict[str, str] = {
    "org.flywaydb:flyway-core": "flyway",
    "org.liquibase:liquibase-core": "liquibase",
}

_COORDINATE = regex(r"""["']([\w.\-]+):([\w.\-]+)(?::[^"'\s]*)?["']""")
_GRADLE_TEST_CONFIG = regex(r"^\s*(test|androidTest|testFixtures)\w*\b")
_SPRING_PLUGIN = regex(r"""["']org\.springframework\.boot["']""")
_JAVA_VERSION = regex(
    r"(?:sourceCompatibility\s*=\s*(?:JavaVersion\.VERSION_)?['\"]?([\d_.]+)"
    r"|JavaLanguageVersion\.of\(\s*(\d+)\s*\)|jvmToolchain\(\s*(\d+)\s*\))"
)
_ARCHIVE_NAME = regex(
    r"""archiveFileName(?:\.set\(|\s*=\s*)\s*["']([^"'$]+\.jar)["']"""
)


@dataclass
class Project:
    """One build file (pom.xml or build.gradle[.kts]) and what it declares."""

    tool: str  # maven or gradle
    source: SourceText
    directory: str
    dependencies: list[tuple[str, int, bool]] = field(default_factory=list)
    spring_boot_line: int = 0
    jar_name: str = ""
    jar_line: int = 0
    java_version: str = ""
    java_line: int = 0
    description: str = ""
    description_line: int = 0
    migrate_plugins: list[tuple[str, int]] = field(default_factory=list)


def extract(index: RepoIndex) -> Iterator[Fact]:
    """Facts from every Maven and Gradle build of the repository."""
    poms = [p for s in manifests(index, "pom.xml") if (p := _parse_pom(s))]
    builds = [_parse_gradle(s) for s in manifests(index, *GRADLE_FILES)]
    settings = [
        directory_of(p) for p in index.named("settings.gradle", "settings.gradle.kts")
    ]
    pom_dirs = {p.directory for p in poms}

    roots: dict[tuple[str, str], list[Project]] = {}
    for project in poms:
        roots.setdefault(
            ("maven", _maven_root(project.directory, pom_dirs)), []
        ).append(project)
    for project in builds:
        root = _gradle_root(project.directory, settings)
        roots.setdefault(("gradle", root), []).append(project)

    for (tool, root), projects in sorted(roots.items(), key=lambda r: r[0]):
        yield from _root_facts(index, tool, root, projects)
        for project in projects:
            yield from _project_facts(index, tool, root, project)


def _maven_root(directory: str, pom_dirs: set[str]) -> str:
    root = directory
    while root:
        parent = directory_of(root)
        if parent not in pom_dirs:
            break
        root = parent
    return root


def _gradle_root(directory: str, settings: list[str]) -> str:
    owners = [d for d in settings if d == directory or is_under(directory, d)]
    return max(owners, key=len) if owners else directory


def _parse_pom(source: SourceText) -> Project | None:
    # Imported here: ElementTree compiles its path patterns when imported,
    # and most trees hold no such file.
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(source.text.lstrip("\ufeff"))  # noqa: S314
    except ET.ParseError as error:
        logger.debug(
            "unreadable pom.xml", extra={"path": source.path, "error": str(error)}
        )
        return None
    _strip_namespaces(root)
    project = Project("maven", source, directory_of(source.path))

    for dependency in root.iterfind("dependencies/dependency"):
        group = dependency.findtext("groupId", "").strip()
        artifact = dependency.findtext("artifactId", "").strip()
        is_test = dependency.findtext("scope", "").strip() == "test"
        line = source.find_line(
            rf"<artifactId>\s*{re.escape(artifact)}\s*</artifactId>"
        )
        if group and artifact and line:
            project.dependencies.append((f"{group}:{artifact}", line, is_test))

    parent = root.findtext("parent/artifactId", "").strip()
    plugins = [
        p.findtext("artifactId", "").strip()
        for p in root.iterfind("build/plugins/plugin")
    ]
    boot_marker = next(
        (
            name
            for name in ("spring-boot-maven-plugin", "spring-boot-starter-parent")
            if name in plugins or name == parent
        ),
        "",
    )
    # An aggregator (packaging pom) only manages versions for its modules.
    is_aggregator = root.findtext("packaging", "").strip() == "pom"
    if boot_marker and not is_aggregator:
        project.spring_boot_line = source.find_line(re.escape(boot_marker)) or 0
    for plugin, goal in (
        ("flyway-maven-plugin", "flyway:migrate"),
        ("liquibase-maven-plugin", "liquibase:update"),
    ):
        if plugin in plugins and (line := source.find_line(re.escape(plugin))):
            project.migrate_plugins.append((goal, line))

    final_name = root.findtext("build/finalName", "").strip()
    if final_name and "${" not in final_name:
        project.jar_name = f"target/{final_name}.jar"
        project.jar_line = source.find_line(r"<finalName>") or 0
    for tag in ("java.version", "maven.compiler.release", "maven.compiler.source"):
        value = root.findtext(f"properties/{tag}", "").strip()
        if value and "${" not in value:
            project.java_version = value
            project.java_line = source.find_line(rf"<{re.escape(tag)}>") or 0
            break
    description = " ".join(root.findtext("description", "").split())
    if description and "${" not in description:
        project.description = description
        project.description_line = source.find_line(r"<description>") or 0
    return project


def _strip_namespaces(root: "ET.Element") -> None:
    for element in root.iter():
        if isinstance(element.tag, str) and "}" in element.tag:
            element.tag = element.tag.split("}", 1)[1]


def _parse_gradle(source: SourceText) -> Project:
    project = Project("gradle", source, directory_of(source.path))
    in_test_config = False
    for number, line in enumerate(source.lines, start=1):
        code = line.split("//", 1)[0]
        if not code.strip():
            continue
        if not code.lstrip().startswith(("'", '"')):
            in_test_config = bool(_GRADLE_TEST_CONFIG().match(code))
        if _SPRING_PLUGIN().search(code) and not project.spring_boot_line:
            project.spring_boot_line = number
        for match in _COORDINATE().finditer(code):
            project.dependencies.append(
                (f"{match[1]}:{match[2]}", number, in_test_config)
            )
        if (version := _JAVA_VERSION().search(code)) and not project.java_version:
            value = next(v for v in version.groups() if v)
            project.java_version = value.replace("_", ".").removeprefix("1.")
            project.java_line = number
        if (archive := _ARCHIVE_NAME().search(code)) and not project.jar_name:
            project.jar_name, project.jar_line = f"build/libs/{archive[1]}", number
        if "org.flywaydb.flyway" in code and "id" in code:
            project.migrate_plugins.append(("flywayMigrate", number))
        if "org.liquibase.gradle" in code and "id" in code:
            project.migrate_plugins.append(("update", number))
    if not project.spring_boot_line:
        starters = [
            n for c, n, t in project.dependencies if c in WEB_STARTERS and not t
        ]
        project.spring_boot_line = starters[0] if starters else 0
    return project


def _runner(index: RepoIndex, tool: str, root: str) -> str:
    wrapper = "gradlew" if tool == "gradle" else "mvnw"
    if index.exists(join(root, wrapper)):
        return f"./{wrapper}"
    return "gradle" if tool == "gradle" else "mvn"


def _root_facts(
    index: RepoIndex, tool: str, root: str, projects: list[Project]
) -> Iterator[Fact]:
    main = next((p for p in projects if p.directory == root), projects[0])
    scope = index.scope(main.source.path)
    manifest = main.source.file_evidence()
    runner = _runner(index, tool, root)
    wrapper_files = (
        ("gradlew", "gradle/wrapper/gradle-wrapper.properties")
        if tool == "gradle"
        else ("mvnw", ".mvn/wrapper/maven-wrapper.properties")
    )
    settings = ("settings.gradle", "settings.gradle.kts") if tool == "gradle" else ()
    extra = existing(index, *(join(root, n) for n in (*settings, *wrapper_files)))
    yield fact(FactKind.PACKAGE_MANAGER, tool, f"jvm.{tool}", [manifest, *extra], scope)

    rule = f"jvm.{tool}"
    if tool == "maven":
        yield fact(
            FactKind.INSTALL,
            f"{runner} install",
            rule,
            [manifest],
            scope,
            inferred=True,
            cwd=root,
            note="builds, tests and installs the artifacts in the local repository",
        )
    else:
        yield fact(
            FactKind.INSTALL,
            f"{runner} assemble",
            rule,
            [manifest],
            scope,
            inferred=True,
            cwd=root,
            note="resolves the dependencies and assembles the outputs, no tests",
        )
        yield fact(
            FactKind.BUILD,
            f"{runner} build",
            rule,
            [manifest],
            scope,
            inferred=True,
            cwd=root,
            note="compiles, tests and assembles the project",
        )

    yield _test_fact(index, tool, root, projects, manifest)


def _test_fact(
    index: RepoIndex, tool: str, root: str, projects: list[Project], manifest: Evidence
) -> Fact:
    runner, rule = _runner(index, tool, root), f"jvm.{tool}"
    scope = index.scope(manifest.path)
    suites = sorted(
        p
        for project in projects
        for p in glob_in(index, project.directory, "src/test/*")
        if index.language(p) in ("Java", "Kotlin", "Groovy", "Scala")
    )
    test_evidence = [manifest, *existing(index, *suites[:1])]
    return fact(
        FactKind.TEST,
        f"{runner} test",
        rule,
        test_evidence,
        scope,
        inferred=True,
        cwd=root,
        note="runs the project's own tests under src/test"
        if suites
        else "runs the build's test task",
    )


def _project_facts(
    index: RepoIndex, tool: str, root: str, project: Project
) -> Iterator[Fact]:
    source, scope, rule = (
        project.source,
        index.scope(project.source.path),
        f"jvm.{tool}",
    )
    runner = _runner(index, tool, root)
    if project.java_version and project.java_line:
        yield fact(
            FactKind.RUNTIME,
            f"java {project.java_version}",
            rule,
            [source.evidence(project.java_line)],
            scope,
        )
    if project.description and project.description_line:
        yield fact(
            FactKind.DESCRIPTION,
            project.description,
            rule,
            [source.evidence(project.description_line)],
            scope,
        )

    if project.spring_boot_line:
        yield from _spring_boot_facts(index, tool, root, runner, project, scope)
    for goal, line in project.migrate_plugins:
        yield fact(
            FactKind.MIGRATE,
            f"{runner} {goal}",
            rule,
            [source.evidence(line)],
            scope,
            inferred=True,
            cwd=root,
            note="the build applies the plugin that runs database migrations",
        )

    yield from _dependency_facts(project, rule, scope)
    if project.spring_boot_line:
        yield from _spring_property_services(index, project)


def _dependency_facts(project: Project, rule: str, scope: Scope) -> Iterator[Fact]:
    """Migration libraries and services named by non-test dependencies."""
    source = project.source
    seen: set[str] = set()
    for coordinate, line, is_test in project.dependencies:
        if is_test:
            continue
        cited = source.evidence(line)
        library = MIGRATION_LIBRARIES.get(coordinate)
        if library and library not in seen:
            seen.add(library)
            when = " at application start" if project.spring_boot_line else ""
            yield fact(
                FactKind.FRAMEWORK,
                library,
                rule,
                [cited],
                scope,
                note=f"database migrations are managed by {library}{when}",
            )
        service = service_of_dependency(coordinate)
        if service and f"service:{service}" not in seen:
            seen.add(f"service:{service}")
            yield fact(
                FactKind.SERVICE,
                service,
                rule,
                [cited],
                scope,
                note=f"the build depends on {coordinate}",
            )


def _spring_boot_facts(
    index: RepoIndex, tool: str, root: str, runner: str, project: Project, scope: Scope
) -> Iterator[Fact]:
    rule = f"jvm.{tool}"
    cited = project.source.evidence(project.spring_boot_line)
    yield fact(FactKind.FRAMEWORK, "spring-boot", rule, [cited], scope)
    yield default_port(SPRING_BOOT_PORT, "Spring Boot", rule, cited, scope)
    note = "a Spring Boot application"
    yield project_kind("service", rule, [cited], scope, root, note)

    sub = project.directory[len(root) :].strip("/") if project.directory != root else ""
    if tool == "gradle":
        task = f":{sub.replace('/', ':')}:bootRun" if sub else "bootRun"
        command = f"{runner} {task}"
    else:
        command = (
            f"{runner} -pl {sub} spring-boot:run"
            if sub
            else f"{runner} spring-boot:run"
        )
    yield fact(
        FactKind.DEV,
        command,
        rule,
        [cited],
        scope,
        inferred=True,
        cwd=root,
        note=(
            "the Spring Boot plugin's run task"
            + (" (after an install of the other modules)" if sub else "")
        ),
        attrs={"process": "web"},
    )
    if project.jar_name and project.jar_line:
        jar = join(sub, project.jar_name)
        yield fact(
            FactKind.PROD,
            f"java -jar {jar}",
            rule,
            [project.source.evidence(project.jar_line)],
            scope,
            inferred=True,
            cwd=root,
            note="runs the packaged jar the build names",
            attrs={"process": "web"},
        )


def _spring_property_services(index: RepoIndex, project: Project) -> Iterator[Fact]:
    resources = join(project.directory, "src/main/resources")
    paths = glob_in(
        index,
        resources,
        "application*.properties",
        "application*.yml",
        "application*.yaml",
    )
    seen: set[str] = set()
    # The base file first: profile files (application-test...) override it.
    ordered = sorted(paths, key=lambda p: ("-" in p.rsplit("/", 1)[-1], p))
    for source in index.texts(ordered):
        scope = index.scope(source.path)
        for key, value, line in _properties(source):
            service = _service_of_property(key, value)
            if service is None or f"service:{service}" in seen:
                continue
            seen.add(f"service:{service}")
            yield fact(
                FactKind.SERVICE,
                service,
                "jvm.spring_properties",
                [source.evidence(line)],
                scope,
                note=f"{key} configures it",
            )


def _service_of_property(key: str, value: str) -> str | None:
    if key == "spring.datasource.url":
        match = re.match(r"\s*jdbc:(?:tc:)?([a-z0-9]+):", value)
        return JDBC_SERVICES.get(match[1]) if match else None
    for prefix, service in PROPERTY_SERVICES.items():
        if key.startswith(prefix):
            return service
    return None


def _properties(source: SourceText) -> Iterator[tuple[str, str, int]]:
    if source.path.endswith(".properties"):
        for number, line in enumerate(source.lines, start=1):
            match = re.match(r"^\s*([\w.\-\[\]]+)\s*[=:]\s*(.*)$", line)
            if match and not line.lstrip().startswith(("#", "!")):
                yield match[1], match[2].strip(), number
        return
    for document in load_yaml(source):
        yield from _flatten(document, "")


def _flatten(node: YNode, prefix: str) -> Iterator[tuple[str, str, int]]:
    for key, child in node.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        text = child.text()
        if text is not None:
            yield name, text, child.line
        else:
            yield from _flatten(child, name)
