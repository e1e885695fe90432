"""Backing services and third-party APIs, recognised by the names projects use.

Three tables map what a repository shows to a service name: a dependency's
package name, a container image, and the scheme of a connection URL. Names are
lowercase and stable (``postgres``, ``redis``, ``s3``, ``stripe``...), the same
in every ecosystem.
"""

from pathlib import PurePosixPath

# Dependency package names (lowercased; "_" unified to "-") to the service they
# talk to. Only names that mean one thing in every ecosystem belong here; short
# words that name something else elsewhere stay in their extractor's table.
DEPENDENCY_SERVICES: dict[str, str] = {
    # Python
    "psycopg2": "postgres", "psycopg2-binary": "postgres", "psycopg": "postgres",
    "psycopg-binary": "postgres", "asyncpg": "postgres", "pg8000": "postgres",
    "aiopg": "postgres", "mysqlclient": "mysql", "pymysql": "mysql",
    "mysql-connector-python": "mysql", "aiomysql": "mysql", "asyncmy": "mysql",
    "redis": "redis", "aioredis": "redis", "hiredis": "redis", "rq": "redis",
    "pymongo": "mongodb", "motor": "mongodb", "mongoengine": "mongodb",
    "beanie": "mongodb", "elasticsearch": "elasticsearch",
    "opensearch-py": "opensearch", "pika": "rabbitmq", "aio-pika": "rabbitmq",
    "kafka-python": "kafka", "confluent-kafka": "kafka", "aiokafka": "kafka",
    "boto3": "aws", "botocore": "aws", "aioboto3": "aws", "s3fs": "s3",
    "minio": "s3", "google-cloud-storage": "gcs", "stripe": "stripe",
    "sendgrid": "sendgrid", "twilio": "twilio", "openai": "openai",
    "anthropic": "anthropic", "sentry-sdk": "sentry", "raven": "sentry",
    "pygithub": "github", "slack-sdk": "slack", "slackclient": "slack",
    "cassandra-driver": "cassandra", "neo4j": "neo4j", "pymemcache": "memcached",
    "python-memcached": "memcached", "pylibmc": "memcached", "nats-py": "nats",
    "paho-mqtt": "mqtt", "firebase-admin": "firebase", "supabase": "supabase",
    "elastic-apm": "elastic-apm", "mailgun": "mailgun", "aiosqlite": "sqlite",
    "flower": "flower",
    # Node
    "pg": "postgres", "pg-promise": "postgres", "postgres": "postgres",
    "mysql": "mysql", "mysql2": "mysql", "ioredis": "redis", "bull": "redis",
    "bullmq": "redis", "mongodb": "mongodb", "mongoose": "mongodb",
    "@elastic/elasticsearch": "elasticsearch", "amqplib": "rabbitmq",
    "kafkajs": "kafka", "aws-sdk": "aws", "@aws-sdk/client-s3": "s3",
    "@sendgrid/mail": "sendgrid", "nodemailer": "smtp", "@sentry/node": "sentry",
    "@octokit/rest": "github", "@slack/web-api": "slack", "memcached": "memcached",
    "elastic-apm-node": "elastic-apm", "sqlite3": "sqlite",
    "better-sqlite3": "sqlite", "passport-facebook": "facebook",
    "passport-google-oauth20": "google", "@google-cloud/storage": "gcs",
    "cassandra-driver-node": "cassandra", "nats": "nats", "mqtt": "mqtt",
    "@supabase/supabase-js": "supabase", "@prisma/client": "database",
    # Ruby, Go, Java, Rust and PHP names that are unambiguous
    "sqlite3-ruby": "sqlite", "sidekiq": "redis", "resque": "redis",
    "github.com/lib/pq": "postgres", "github.com/jackc/pgx": "postgres",
    "github.com/jackc/pgx/v4": "postgres", "github.com/jackc/pgx/v5": "postgres",
    "github.com/go-sql-driver/mysql": "mysql", "github.com/go-redis/redis": "redis",
    "github.com/redis/go-redis/v9": "redis", "github.com/go-redis/redis/v8": "redis",
    "go.mongodb.org/mongo-driver": "mongodb", "github.com/mattn/go-sqlite3": "sqlite",
    "github.com/segmentio/kafka-go": "kafka", "github.com/streadway/amqp": "rabbitmq",
    "github.com/rabbitmq/amqp091-go": "rabbitmq",
    "org.postgresql:postgresql": "postgres",
    "mysql:mysql-connector-java": "mysql", "com.mysql:mysql-connector-j": "mysql",
    "org.xerial:sqlite-jdbc": "sqlite", "com.h2database:h2": "h2",
    "org.mongodb:mongodb-driver-sync": "mongodb", "redis.clients:jedis": "redis",
    "tokio-postgres": "postgres", "sqlx": "database", "diesel": "database",
    "rusqlite": "sqlite", "mongodb-rust": "mongodb",
    # Maven group:artifact coordinates
    "org.springframework.boot:spring-boot-starter-data-redis": "redis",
    "org.springframework.boot:spring-boot-starter-data-mongodb": "mongodb",
    "org.springframework.boot:spring-boot-starter-amqp": "rabbitmq",
    "org.springframework.kafka:spring-kafka": "kafka",
    "org.springframework.boot:spring-boot-starter-data-elasticsearch":
    "elasticsearch",
    "org.springframework.boot:spring-boot-starter-mail": "smtp",
    "org.mariadb.jdbc:mariadb-java-client": "mysql",
    "com.microsoft.sqlserver:mssql-jdbc": "mssql",
    "com.oracle.database.jdbc:ojdbc8": "oracle",
    "com.oracle.database.jdbc:ojdbc11": "oracle",
    "io.lettuce:lettuce-core": "redis",
    # Composer packages and PHP extensions
    "predis/predis": "redis", "ext-redis": "redis", "ext-pgsql": "postgres",
    "ext-pdo-pgsql": "postgres", "ext-pdo-mysql": "mysql", "ext-mysqli": "mysql",
    "ext-mongodb": "mongodb", "mongodb/mongodb": "mongodb",
    "php-amqplib/php-amqplib": "rabbitmq", "aws/aws-sdk-php": "aws",
    "league/flysystem-aws-s3-v3": "s3", "stripe/stripe-php": "stripe",
    "elasticsearch/elasticsearch": "elasticsearch", "sentry/sentry-laravel": "sentry",
    "sentry/sentry": "sentry", "ext-pdo-sqlite": "sqlite", "ext-memcached": "memcached",
    # NuGet package ids
    "npgsql": "postgres", "npgsql.entityframeworkcore.postgresql": "postgres",
    "mysql.data": "mysql", "mysqlconnector": "mysql",
    "pomelo.entityframeworkcore.mysql": "mysql",
    "microsoft.entityframeworkcore.sqlserver": "mssql",
    "microsoft.data.sqlclient": "mssql", "system.data.sqlclient": "mssql",
    "microsoft.entityframeworkcore.sqlite": "sqlite", "microsoft.data.sqlite": "sqlite",
    "stackexchange.redis": "redis", "microsoft.extensions.caching.stackexchangeredis":
    "redis", "mongodb.driver": "mongodb", "rabbitmq.client": "rabbitmq",
    "masstransit.rabbitmq": "rabbitmq", "confluent.kafka": "kafka", "awssdk.s3": "s3",
    "stripe.net": "stripe", "sentry.aspnetcore": "sentry",
    "elastic.clients.elasticsearch": "elasticsearch",
}  # fmt: skip

# Container image repositories (the last path part, without tag) to services.
IMAGE_SERVICES: dict[str, str] = {
    "postgres": "postgres", "postgis": "postgres", "timescaledb": "postgres",
    "mysql": "mysql", "mariadb": "mysql", "percona": "mysql", "redis": "redis",
    "valkey": "redis", "keydb": "redis", "mongo": "mongodb", "mongodb": "mongodb",
    "rabbitmq": "rabbitmq", "elasticsearch": "elasticsearch",
    "opensearch": "opensearch", "memcached": "memcached", "kafka": "kafka",
    "cp-kafka": "kafka", "zookeeper": "zookeeper", "minio": "s3",
    "localstack": "aws", "mailhog": "smtp", "mailpit": "smtp", "nats": "nats",
    "cassandra": "cassandra", "neo4j": "neo4j", "influxdb": "influxdb",
    "clickhouse-server": "clickhouse", "eclipse-mosquitto": "mqtt",
    "mssql-server-linux": "mssql", "mssql": "mssql", "couchdb": "couchdb",
    "flower": "flower", "mher/flower": "flower",
}  # fmt: skip

# Connection-URL schemes to services.
URL_SCHEME_SERVICES: dict[str, str] = {
    "postgres": "postgres", "postgresql": "postgres", "postgresql+psycopg2": "postgres",
    "postgresql+asyncpg": "postgres", "postgresql+psycopg": "postgres",
    "mysql": "mysql", "mysql+pymysql": "mysql", "mysql+mysqldb": "mysql",
    "mariadb": "mysql", "redis": "redis", "rediss": "redis", "mongodb": "mongodb",
    "mongodb+srv": "mongodb", "amqp": "rabbitmq", "amqps": "rabbitmq",
    "sqlite": "sqlite", "sqlite+aiosqlite": "sqlite", "smtp": "smtp",
    "smtps": "smtp", "s3": "s3", "kafka": "kafka", "nats": "nats",
    "memcached": "memcached", "mqtt": "mqtt",
}  # fmt: skip


def service_of_dependency(name: str) -> str | None:
    """The service a dependency talks to, or None when it names none."""
    key = name.strip().lower().replace("_", "-")
    return DEPENDENCY_SERVICES.get(key)


def service_of_image(image: str) -> str | None:
    """The service a container image runs (``postgres:16-alpine`` -> postgres)."""
    reference = image.strip().lower().split("@", 1)[0]
    without_tag = (
        reference.rsplit(":", 1)[0] if ":" in reference.split("/")[-1] else reference
    )
    if without_tag in IMAGE_SERVICES:
        return IMAGE_SERVICES[without_tag]
    return IMAGE_SERVICES.get(PurePosixPath(without_tag).name)


def service_of_url(url: str) -> str | None:
    """The service a connection URL points at, from its scheme."""
    scheme, separator, _rest = url.partition("://")
    if not separator:
        return None
    return URL_SCHEME_SERVICES.get(scheme.strip().lower())
