/* The vers.toml of the seed document (and of examples/ecommerce), shared by the unit tests. */
#ifndef VERS_TEST_SEED_TOML_H
#define VERS_TEST_SEED_TOML_H

static const char vers_toml[] __attribute__((unused)) = "[vm]\n"
                                "memory_mib = 2048  # PostgreSQL needs memory for shared buffers\n"
                                "vcpu = 1\n"
                                "\n"
                                "[storage]\n"
                                "cluster_mib = 8000  # Database storage\n"
                                "vm_mib = 4000\n"
                                "\n"
                                "[services.postgres]\n"
                                "template = \"postgres@15\"\n"
                                "databases = [\"app\", \"test\"]\n"
                                "extensions = [\"uuid-ossp\", \"pg_trgm\"]\n"
                                "\n"
                                "[services.postgres.settings]\n"
                                "shared_buffers = \"256MB\"\n"
                                "work_mem = \"16MB\"\n";

#endif
