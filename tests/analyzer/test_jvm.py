"""Tests of the JVM (Maven, Gradle, Spring Boot) extractor."""

from pta_analyzer.extractors.jvm import extract
from pta_analyzer.facts import FactKind, Status
from pta_analyzer.scope import Scope
from tests.analyzer.conftest import MakeRepo, assert_evidence_verifies, keys, of_kind

GRADLE = """plugins {
    id 'org.springframework.boot' version '3.2.0'
    id 'java'
}

java {
    toolchain {
        languageVersion = JavaLanguageVersion.of(17)
    }
}

dependencies {
    implementation 'org.springframework.boot:spring-boot-starter-web'
    implementation 'org.flywaydb:flyway-core'
    runtimeOnly 'org.postgresql:postgresql'
    testImplementation 'com.h2database:h2'
}

bootJar {
    archiveFileName = 'app.jar'
}
"""
POM = """<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <parent>
    <groupId>org.springframework.boot</groupId>
    <artifactId>spring-boot-starter-parent</artifactId>
  </parent>
  <artifactId>shop</artifactId>
  <description>A shop backend</description>
  <properties>
    <java.version>21</java.version>
  </properties>
  <dependencies>
    <dependency>
      <groupId>com.mysql</groupId>
      <artifactId>mysql-connector-j</artifactId>
    </dependency>
  </dependencies>
  <build>
    <finalName>shop</finalName>
  </build>
</project>
"""


def test_gradle_wrapper_spring_boot_project(make_repo: MakeRepo) -> None:
    index = make_repo(
        {
            "build.gradle": GRADLE,
            "gradlew": "#!/bin/sh\n",
            "src/test/java/AppTest.java": "class AppTest {}\n",
        }
    )
    facts = list(extract(index))

    assert keys(facts, FactKind.PACKAGE_MANAGER) == {"gradle"}
    assert keys(facts, FactKind.INSTALL) == {"./gradlew assemble"}
    assert keys(facts, FactKind.BUILD) == {"./gradlew build"}
    (test,) = of_kind(facts, FactKind.TEST)
    assert (test.key, test.scope) == ("./gradlew test", Scope.APP)
    assert test.evidence[-1].path == "src/test/java/AppTest.java"
    (dev,) = of_kind(facts, FactKind.DEV)
    assert (dev.key, dev.status, dev.evidence[0].line_start) == (
        "./gradlew bootRun",
        Status.INFERRED,
        2,
    )
    assert keys(facts, FactKind.PROD) == {"java -jar build/libs/app.jar"}
    assert keys(facts, FactKind.RUNTIME) == {"java 17"}
    assert_evidence_verifies(index, facts)


def test_spring_boot_default_port_and_frameworks(make_repo: MakeRepo) -> None:
    index = make_repo({"build.gradle": GRADLE})
    facts = list(extract(index))

    (port,) = of_kind(facts, FactKind.PORT)
    assert (port.key, port.status, port.attrs["role"]) == (
        "8080",
        Status.INFERRED,
        "default",
    )
    assert keys(facts, FactKind.FRAMEWORK) == {"spring-boot", "flyway"}
    assert keys(facts, FactKind.PROJECT_KIND) == {"service"}


def test_gradle_without_wrapper_uses_gradle(make_repo: MakeRepo) -> None:
    index = make_repo({"build.gradle": "apply plugin: 'java'\n"})
    facts = list(extract(index))

    assert keys(facts, FactKind.BUILD) == {"gradle build"}
    assert keys(facts, FactKind.TEST) == {"gradle test"}
    assert of_kind(facts, FactKind.DEV) == []


def test_test_dependencies_are_not_services(make_repo: MakeRepo) -> None:
    index = make_repo({"build.gradle": GRADLE})
    facts = list(extract(index))

    (service,) = of_kind(facts, FactKind.SERVICE)
    assert (service.key, service.evidence[0].line_start) == ("postgres", 15)


def test_maven_wrapper_pom(make_repo: MakeRepo) -> None:
    index = make_repo({"pom.xml": POM, "mvnw": "#!/bin/sh\n"})
    facts = list(extract(index))

    assert keys(facts, FactKind.PACKAGE_MANAGER) == {"maven"}
    assert keys(facts, FactKind.INSTALL) == {"./mvnw install"}
    assert keys(facts, FactKind.TEST) == {"./mvnw test"}
    (dev,) = of_kind(facts, FactKind.DEV)
    assert (dev.key, dev.evidence[0].line_start) == ("./mvnw spring-boot:run", 5)
    assert keys(facts, FactKind.PROD) == {"java -jar target/shop.jar"}
    assert keys(facts, FactKind.SERVICE) == {"mysql"}
    assert keys(facts, FactKind.RUNTIME) == {"java 21"}
    assert keys(facts, FactKind.DESCRIPTION) == {"A shop backend"}
    assert_evidence_verifies(index, facts)


def test_maven_modules_run_from_the_root(make_repo: MakeRepo) -> None:
    plain = '<project xmlns="http://maven.apache.org/POM/4.0.0"></project>\n'
    index = make_repo({"pom.xml": plain, "api/pom.xml": POM})
    facts = list(extract(index))

    assert [(f.key, f.cwd) for f in of_kind(facts, FactKind.INSTALL)] == [
        ("mvn install", "")
    ]
    assert keys(facts, FactKind.DEV) == {"mvn -pl api spring-boot:run"}
    assert keys(facts, FactKind.PROD) == {"java -jar api/target/shop.jar"}


def test_gradle_subproject_boot_run_uses_task_path(make_repo: MakeRepo) -> None:
    index = make_repo(
        {
            "settings.gradle": "include 'web'\n",
            "gradlew": "#!/bin/sh\n",
            "web/build.gradle": GRADLE,
        }
    )
    facts = list(extract(index))

    assert [(f.key, f.cwd) for f in of_kind(facts, FactKind.DEV)] == [
        ("./gradlew :web:bootRun", "")
    ]
    assert keys(facts, FactKind.BUILD) == {"./gradlew build"}


def test_datasource_url_names_the_database(make_repo: MakeRepo) -> None:
    gradle = "plugins { id 'org.springframework.boot' version '3' }\n"
    index = make_repo(
        {
            "build.gradle": gradle,
            "src/main/resources/application.properties": (
                "spring.datasource.url=jdbc:sqlite:dev.db\n"
            ),
            "src/main/resources/application.yml": (
                "spring:\n  data:\n    redis:\n      host: localhost\n"
            ),
        }
    )
    facts = list(extract(index))

    services = {f.key: f for f in of_kind(facts, FactKind.SERVICE)}
    assert set(services) == {"sqlite", "redis"}
    assert services["redis"].evidence[0].location == (
        "src/main/resources/application.yml:4"
    )
    assert_evidence_verifies(index, facts)


def test_flyway_plugin_gives_migrate_command(make_repo: MakeRepo) -> None:
    gradle = "plugins {\n  id 'org.flywaydb.flyway' version '9'\n}\n"
    index = make_repo({"build.gradle": gradle, "gradlew": "#!/bin/sh\n"})
    facts = list(extract(index))

    (migrate,) = of_kind(facts, FactKind.MIGRATE)
    assert (migrate.key, migrate.evidence[0].line_start) == (
        "./gradlew flywayMigrate",
        2,
    )


def test_malformed_pom_is_skipped(make_repo: MakeRepo) -> None:
    index = make_repo({"pom.xml": "<project><dependencies>", "x/pom.xml": "\x01<<"})

    assert list(extract(index)) == []


def test_example_project_is_tagged_example(make_repo: MakeRepo) -> None:
    index = make_repo({"samples/demo/build.gradle": GRADLE})
    facts = list(extract(index))

    (dev,) = of_kind(facts, FactKind.DEV)
    assert (dev.scope, dev.cwd) == (Scope.EXAMPLE, "samples/demo")


def test_aggregator_pom_with_boot_parent_is_not_an_app(make_repo: MakeRepo) -> None:
    aggregator = POM.replace(
        "<artifactId>shop</artifactId>",
        "<artifactId>shop</artifactId>\n  <packaging>pom</packaging>",
    )
    index = make_repo({"pom.xml": aggregator})
    facts = list(extract(index))

    assert of_kind(facts, FactKind.DEV) == []
    assert of_kind(facts, FactKind.PORT) == []
    assert keys(facts, FactKind.INSTALL) == {"mvn install"}


def test_kotlin_dsl_build(make_repo: MakeRepo) -> None:
    kts = """plugins {
    id("org.springframework.boot") version "3.3.0"
    kotlin("jvm") version "1.9.24"
}

kotlin {
    jvmToolchain(21)
}

dependencies {
    implementation("org.springframework.boot:spring-boot-starter-data-redis")
    testImplementation("org.testcontainers:postgresql")
}
"""
    index = make_repo({"build.gradle.kts": kts, "gradlew": "#!/bin/sh\n"})
    facts = list(extract(index))

    assert keys(facts, FactKind.DEV) == {"./gradlew bootRun"}
    assert keys(facts, FactKind.RUNTIME) == {"java 21"}
    (service,) = of_kind(facts, FactKind.SERVICE)
    assert (service.key, service.evidence[0].line_start) == ("redis", 11)
    assert_evidence_verifies(index, facts)


def test_empty_subproject_build_file_is_skipped(make_repo: MakeRepo) -> None:
    index = make_repo(
        {"settings.gradle": "", "build.gradle": GRADLE, "lib/build.gradle": ""}
    )
    facts = list(extract(index))

    assert all(e.path != "lib/build.gradle" for f in facts for e in f.evidence)
    assert all(e.path != "settings.gradle" for f in facts for e in f.evidence)
    assert_evidence_verifies(index, facts)
