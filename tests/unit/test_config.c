/* Unit tests for src/lib/format/config.c: vers.toml semantics on top of the toml parser. The error
 * cases are a table; each row is its own cmocka test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kernel_needs.h"
#include "table_tests.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "format/config.h"
#include "services/services.h"
#include "base/strbuf.h"
#include "base/util.h"

static void parse_ok(const char *text, struct vers_config *cfg)
{
        vers_error_t err = NULL;
        if (vers_config_parse(text, "vers.toml", cfg, &err) < 0) {
                print_error("unexpected error: %s\n--- input:\n%s\n", err->msg, text);
                vers_error_free(&err);
                fail();
        }
        assert_null(err);
}

static void assert_defaults(const struct vers_config *cfg)
{
        assert_int_equal(cfg->memory_mib, 2048);
        assert_int_equal(cfg->vcpu, 1);
        assert_int_equal(cfg->cluster_mib, 8000);
        assert_int_equal(cfg->vm_mib, 4000);
        assert_null(cfg->dockerfile);
        assert_null(cfg->services);
        assert_int_equal(cfg->n_services, 0);
}

static void expect_error(const char *text, const char *msg)
{
        vers_error_t err = NULL;
        struct vers_config cfg;
        assert_int_equal(vers_config_parse(text, "vers.toml", &cfg, &err), -1);
        assert_non_null(err);
        if (strcmp(err->msg, msg) != 0) {
                print_error("input:\n%s\nexpected: %s\n     got: %s\n", text, msg, err->msg);
                vers_error_free(&err);
                fail();
        }
        vers_error_free(&err);
        assert_defaults(&cfg);
}

/* the seed's vers.toml, as the example project has it */
#include "seed_toml.h"

static void test_vers_toml(void **state)
{
        (void)state;
        struct vers_config cfg;
        parse_ok(vers_toml, &cfg);
        assert_int_equal(cfg.memory_mib, 2048);
        assert_int_equal(cfg.vcpu, 1);
        assert_int_equal(cfg.cluster_mib, 8000);
        assert_int_equal(cfg.vm_mib, 4000);
        assert_null(cfg.dockerfile);
        assert_int_equal(cfg.n_services, 1);
        const struct vers_service_config *pg = &cfg.services[0];
        assert_string_equal(pg->name, "postgres");
        assert_string_equal(pg->template_, "postgres@15");
        assert_int_equal(strv_len(pg->databases), 2);
        assert_string_equal(pg->databases[0], "app");
        assert_string_equal(pg->databases[1], "test");
        assert_int_equal(strv_len(pg->extensions), 2);
        assert_string_equal(pg->extensions[0], "uuid-ossp");
        assert_string_equal(pg->extensions[1], "pg_trgm");
        assert_int_equal(pg->n_settings, 2);
        assert_string_equal(pg->settings[0].key, "shared_buffers");
        assert_string_equal(pg->settings[0].value, "256MB");
        assert_string_equal(pg->settings[1].key, "work_mem");
        assert_string_equal(pg->settings[1].value, "16MB");
        vers_config_free(&cfg);
        assert_defaults(&cfg);
        vers_config_free(&cfg); /* freeing twice is harmless */
}

static void test_init_defaults(void **state)
{
        (void)state;
        struct vers_config cfg;
        memset(&cfg, 0xAA, sizeof(cfg));
        vers_config_init(&cfg);
        assert_defaults(&cfg);
        vers_config_free(&cfg);
}

static void test_empty_file_keeps_defaults(void **state)
{
        (void)state;
        const char *docs[] = {"", "# nothing\n",
                              "[vm]\n[storage]\n[machine]\n[builder]\n[services]\n"};
        for (size_t i = 0; i < sizeof(docs) / sizeof(*docs); i++) {
                struct vers_config cfg;
                parse_ok(docs[i], &cfg);
                assert_defaults(&cfg);
                vers_config_free(&cfg);
        }
}

static void test_partial_keeps_other_defaults(void **state)
{
        (void)state;
        struct vers_config cfg;
        parse_ok("[vm]\nvcpu = 4\n[storage]\nvm_mib = 1_000\n", &cfg);
        assert_int_equal(cfg.memory_mib, 2048);
        assert_int_equal(cfg.vcpu, 4);
        assert_int_equal(cfg.cluster_mib, 8000);
        assert_int_equal(cfg.vm_mib, 1000);
        vers_config_free(&cfg);
}

static void test_checkpoint_verify(void **state)
{
        (void)state;
        struct vers_config cfg;
        parse_ok("[vm]\nvcpu = 2\n", &cfg);
        assert_false(cfg.checkpoint_verify);
        vers_config_free(&cfg);
        parse_ok("[checkpoint]\nverify = true\n", &cfg);
        assert_true(cfg.checkpoint_verify);
        vers_config_free(&cfg);
        parse_ok("[checkpoint]\nverify = false\n", &cfg);
        assert_false(cfg.checkpoint_verify);
        vers_config_free(&cfg);
}

static void test_pool_size(void **state)
{
        (void)state;
        struct vers_config cfg;
        parse_ok("[vm]\nvcpu = 2\n", &cfg);
        assert_int_equal(cfg.pool_size, 0);
        vers_config_free(&cfg);
        parse_ok("[pool]\nsize = 4\n", &cfg);
        assert_int_equal(cfg.pool_size, 4);
        vers_config_free(&cfg);
}

static void test_branches_ttl(void **state)
{
        (void)state;
        struct vers_config cfg;
        parse_ok("[vm]\nvcpu = 2\n", &cfg);
        assert_int_equal(cfg.branch_ttl, 0);
        vers_config_free(&cfg);
        parse_ok("[branches]\nttl = \"1d2h30m\"\n", &cfg);
        assert_int_equal(cfg.branch_ttl, 86400 + 2 * 3600 + 30 * 60);
        vers_config_free(&cfg);
        parse_ok("[branches]\nttl = \"0\"\n", &cfg);
        assert_int_equal(cfg.branch_ttl, 0);
        vers_config_free(&cfg);
}

static void test_storage_sparse_and_pids(void **state)
{
        (void)state;
        struct vers_config cfg;
        parse_ok("[storage]\ncluster_mib = 2000\n", &cfg);
        assert_false(cfg.sparse);
        assert_int_equal(cfg.pids, 4096);
        vers_config_free(&cfg);
        parse_ok("[storage]\nsparse = true\n\n[vm]\npids = 64\n", &cfg);
        assert_true(cfg.sparse);
        assert_int_equal(cfg.pids, 64);
        vers_config_free(&cfg);
}

static void test_machine_synonyms(void **state)
{
        (void)state;
        struct vers_config cfg;
        parse_ok("[machine]\nmem_size_mib = 512\nvcpu_count = 2\nfs_size_vm_mib = 100\n"
                 "[storage]\ncluster_mib = 300\n",
                 &cfg);
        assert_int_equal(cfg.memory_mib, 512);
        assert_int_equal(cfg.vcpu, 2);
        assert_int_equal(cfg.vm_mib, 100);
        assert_int_equal(cfg.cluster_mib, 300);
        vers_config_free(&cfg);

        parse_ok("[machine]\nfs_size_cluster_mib = 1234\n", &cfg);
        assert_int_equal(cfg.cluster_mib, 1234);
        vers_config_free(&cfg);

        /* one spelling each, mixed */
        parse_ok("[vm]\nmemory_mib = 1024\n[machine]\nvcpu_count = 8\n[storage]\nvm_mib = 64\n",
                 &cfg);
        assert_int_equal(cfg.memory_mib, 1024);
        assert_int_equal(cfg.vcpu, 8);
        assert_int_equal(cfg.vm_mib, 64);
        vers_config_free(&cfg);

        /* dotted keys reach the same settings */
        parse_ok("vm.memory_mib = 4096\nmachine.vcpu_count = 3\n", &cfg);
        assert_int_equal(cfg.memory_mib, 4096);
        assert_int_equal(cfg.vcpu, 3);
        vers_config_free(&cfg);
}

static void test_range_limits(void **state)
{
        (void)state;
        struct vers_config cfg;
        parse_ok("[vm]\nmemory_mib = 64\nvcpu = 1\n[storage]\ncluster_mib = 256\nvm_mib = 16\n",
                 &cfg);
        assert_int_equal(cfg.memory_mib, 64);
        assert_int_equal(cfg.vcpu, 1);
        assert_int_equal(cfg.cluster_mib, 256);
        assert_int_equal(cfg.vm_mib, 16);
        vers_config_free(&cfg);
        parse_ok("[vm]\nmemory_mib = 1048576\nvcpu = 1024\n"
                 "[storage]\ncluster_mib = 16777216\nvm_mib = 16_777_216\n",
                 &cfg);
        assert_int_equal(cfg.memory_mib, 1048576);
        assert_int_equal(cfg.vcpu, 1024);
        assert_int_equal(cfg.cluster_mib, 16777216);
        assert_int_equal(cfg.vm_mib, 16777216);
        vers_config_free(&cfg);
}

static void test_builder(void **state)
{
        (void)state;
        struct vers_config cfg;
        parse_ok("[builder]\ndockerfile = \"docker/Dockerfile.dev\"\n", &cfg);
        assert_string_equal(cfg.dockerfile, "docker/Dockerfile.dev");
        assert_null(cfg.build_args);
        vers_config_free(&cfg);
        assert_null(cfg.dockerfile);

        parse_ok("[builder]\ndockerfile = \"Dockerfile\"\n\n[builder.args]\n"
                 "PG_MAJOR = \"15\"\nWORKERS = 4\nDEBUG = false\n_x1 = ''\n",
                 &cfg);
        assert_string_equal(cfg.dockerfile, "Dockerfile");
        assert_int_equal(strv_len(cfg.build_args), 4);
        assert_string_equal(cfg.build_args[0], "PG_MAJOR=15");
        assert_string_equal(cfg.build_args[1], "WORKERS=4");
        assert_string_equal(cfg.build_args[2], "DEBUG=false");
        assert_string_equal(cfg.build_args[3], "_x1=");
        vers_config_free(&cfg);
        assert_null(cfg.build_args);
        /* "": FROM host, not "absent" (which takes the project's Dockerfile) */
        parse_ok("[builder]\ndockerfile = ''\n", &cfg);
        assert_non_null(cfg.dockerfile);
        assert_string_equal(cfg.dockerfile, "");
        vers_config_free(&cfg);
        assert_null(cfg.dockerfile);
        /* the dotted-key spelling of the same table */
        parse_ok("[builder]\nargs.A = 'x y'\n", &cfg);
        assert_string_equal(cfg.build_args[0], "A=x y");
        vers_config_free(&cfg);
}

static void test_services_order_and_fields(void **state)
{
        (void)state;
        struct vers_config cfg;
        parse_ok("[services.redis]\n"
                 "template = 'redis@7'\n"
                 "[services.postgres]\n"
                 "extensions = []\n"
                 "template = \"postgres@16\"\n"
                 "[services.\"pg.replica\"]\n"
                 "template = \"postgres@16\"\n"
                 "databases = [\n  \"a\", # first\n  \"b\",\n]\n"
                 "[services.postgres.settings]\n"
                 "max_connections = 200\n"
                 "fsync = false\n"
                 "jit = true\n"
                 "shared_buffers = \"1GB\"\n"
                 "offset = -5\n"
                 "\"log.line_prefix\" = '%m [%p] '\n"
                 "[services.\"A-Z_0.9\"]\n"
                 "template = \"x\"\n",
                 &cfg);
        assert_int_equal(cfg.n_services, 4);
        const struct vers_service_config *s = cfg.services;
        assert_string_equal(s[0].name, "redis");
        assert_string_equal(s[0].template_, "redis@7");
        assert_null(s[0].databases);
        assert_null(s[0].extensions);
        assert_int_equal(s[0].n_settings, 0);

        assert_string_equal(s[1].name, "postgres");
        assert_string_equal(s[1].template_, "postgres@16");
        assert_null(s[1].databases);
        assert_non_null(s[1].extensions); /* present but empty */
        assert_null(s[1].extensions[0]);
        assert_int_equal(s[1].n_settings, 6);
        const char *keys[] = {"max_connections", "fsync",  "jit",
                              "shared_buffers",  "offset", "log.line_prefix"};
        const char *values[] = {"200", "false", "true", "1GB", "-5", "%m [%p] "};
        for (size_t i = 0; i < 6; i++) {
                assert_string_equal(s[1].settings[i].key, keys[i]);
                assert_string_equal(s[1].settings[i].value, values[i]);
        }

        assert_string_equal(s[2].name, "pg.replica");
        assert_int_equal(strv_len(s[2].databases), 2);
        assert_string_equal(s[2].databases[0], "a");
        assert_string_equal(s[2].databases[1], "b");

        assert_string_equal(s[3].name, "A-Z_0.9");
        vers_config_free(&cfg);
}

static void test_service_name_limits(void **state)
{
        (void)state;
        struct vers_config cfg;
        char name[66];
        memset(name, 'n', 64);
        name[64] = '\0';
        _cleanup_free_ char *ok = xasprintf("[services.%s]\ntemplate = \"t\"\n", name);
        parse_ok(ok, &cfg);
        assert_int_equal(strlen(cfg.services[0].name), 64);
        vers_config_free(&cfg);

        name[64] = 'n';
        name[65] = '\0';
        _cleanup_free_ char *bad = xasprintf("[services.%s]\ntemplate = \"t\"\n", name);
        _cleanup_free_ char *msg = xasprintf("vers.toml:1:11: invalid service name '%s' (1 to 64 "
                                             "letters, digits, '.', '_' or '-')",
                                             name);
        expect_error(bad, msg);

        parse_ok("[services.\"a.b-c_D.9\"]\ntemplate = \"t\"\n", &cfg);
        assert_string_equal(cfg.services[0].name, "a.b-c_D.9");
        vers_config_free(&cfg);
}

static void test_settings_via_dotted_keys(void **state)
{
        (void)state;
        struct vers_config cfg;
        parse_ok("[services.pg]\ntemplate = \"postgres@15\"\nsettings.work_mem = \"4MB\"\n"
                 "settings.max_wal_senders = 0\n",
                 &cfg);
        assert_int_equal(cfg.services[0].n_settings, 2);
        assert_string_equal(cfg.services[0].settings[1].value, "0");
        vers_config_free(&cfg);
}

static void test_error_resets_config(void **state)
{
        (void)state;
        /* the error comes after a service, settings and numbers were already taken in; none
         * of it may leak or survive in cfg (valgrind / ASan check the leak half) */
        const char *text = "[vm]\nmemory_mib = 512\n[builder]\ndockerfile = \"D\"\n"
                           "[services.a]\ntemplate = \"x\"\ndatabases = [\"d\"]\n"
                           "[services.a.settings]\nk = 1\nbad = [1]\n";
        vers_error_t err = NULL;
        struct vers_config cfg;
        assert_int_equal(vers_config_parse(text, "vers.toml", &cfg, &err), -1);
        assert_string_equal(err->msg, "vers.toml:10:7: setting 'bad' in [services.a.settings] "
                                      "must be a string, integer or boolean");
        vers_error_free(&err);
        assert_defaults(&cfg);
        vers_config_free(&cfg);

        /* an earlier successful parse is simply overwritten by the caller's free + parse */
        parse_ok(vers_toml, &cfg);
        vers_config_free(&cfg);
        assert_int_equal(vers_config_parse("[vm]\nvcpu = 0\n", "vers.toml", &cfg, &err), -1);
        vers_error_free(&err);
        assert_defaults(&cfg);
}

static void test_null_filename_and_err(void **state)
{
        (void)state;
        struct vers_config cfg;
        vers_error_t err = NULL;
        assert_int_equal(vers_config_parse("[vm]\nvcpu = \"1\"\n", NULL, &cfg, &err), -1);
        assert_string_equal(err->msg, "vers.toml:2:8: 'vcpu' must be an integer");
        vers_error_free(&err);
        assert_int_equal(vers_config_parse("[vm]\nvcpu = \"1\"\n", "x", &cfg, NULL), -1);
        assert_defaults(&cfg);
}

static char *write_temp(const char *data, size_t len)
{
        char *path = xstrdup("/tmp/vers-test-config-XXXXXX");
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(vers_write_all(fd, data, len), (ssize_t)len);
        close(fd);
        return path;
}

static void test_load(void **state)
{
        (void)state;
        struct vers_config cfg;
        vers_error_t err = NULL;

        _cleanup_free_ char *good = write_temp(vers_toml, strlen(vers_toml));
        assert_int_equal(vers_config_load(good, &cfg, &err), 0);
        assert_int_equal(cfg.n_services, 1);
        assert_string_equal(cfg.services[0].settings[1].value, "16MB");
        vers_config_free(&cfg);
        unlink(good);

        const char bad_text[] = "[vm]\nmemory_mib = 1.5\n";
        _cleanup_free_ char *bad = write_temp(bad_text, strlen(bad_text));
        assert_int_equal(vers_config_load(bad, &cfg, &err), -1);
        _cleanup_free_ char *want = xasprintf("%s:2:14: floats are not supported", bad);
        assert_string_equal(err->msg, want);
        vers_error_free(&err);
        assert_defaults(&cfg);
        unlink(bad);

        const char nul_text[] = "[vm]\nvcpu = 1 \0 junk\n";
        _cleanup_free_ char *nul = write_temp(nul_text, sizeof(nul_text) - 1);
        assert_int_equal(vers_config_load(nul, &cfg, &err), -1);
        _cleanup_free_ char *want_nul = xasprintf("%s:2:10: NUL byte in input", nul);
        assert_string_equal(err->msg, want_nul);
        vers_error_free(&err);
        assert_defaults(&cfg);
        unlink(nul);

        assert_int_equal(vers_config_load("/nonexistent/vers.toml", &cfg, &err), -1);
        assert_string_equal(err->msg,
                            "cannot open '/nonexistent/vers.toml': No such file or directory");
        vers_error_free(&err);
        assert_defaults(&cfg);
}

struct bad {
        const char *name;
        const char *text;
        const char *msg;
};

static const struct bad bad_cases[] = {
    /* toml errors come through with the file name */
    {"toml float", "[vm]\nmemory_mib = 2048.0\n", "vers.toml:2:14: floats are not supported"},
    {"toml duplicate", "[vm]\nvcpu = 1\nvcpu = 2\n",
     "vers.toml:3:1: duplicate key 'vcpu' in [vm] (first defined on line 2)"},
    {"toml redefined table", "[vm]\nvcpu = 1\n[storage]\n[vm]\n",
     "vers.toml:4:1: table [vm] is already defined on line 1"},
    {"toml inline table", "vm = {vcpu = 2}\n", "vers.toml:1:6: inline tables are not supported"},
    {"toml array of tables", "[[services]]\n", "vers.toml:1:1: arrays of tables are not supported"},

    /* types */
    {"memory_mib string", "[vm]\nmemory_mib = \"2048\"\n",
     "vers.toml:2:14: 'memory_mib' must be an integer"},
    {"vcpu boolean", "[vm]\nvcpu = true\n", "vers.toml:2:8: 'vcpu' must be an integer"},
    {"cluster_mib array", "[storage]\ncluster_mib = [8000]\n",
     "vers.toml:2:15: 'cluster_mib' must be an integer"},
    {"vm_mib table", "[storage.vm_mib]\n", "vers.toml:1:10: 'vm_mib' must be an integer"},
    {"mem_size_mib string", "[machine]\nmem_size_mib = \"1G\"\n",
     "vers.toml:2:16: 'mem_size_mib' must be an integer"},
    {"vcpu_count string", "[machine]\nvcpu_count = \"2\"\n",
     "vers.toml:2:14: 'vcpu_count' must be an integer"},
    {"fs_size_vm_mib boolean", "[machine]\nfs_size_vm_mib = false\n",
     "vers.toml:2:18: 'fs_size_vm_mib' must be an integer"},
    {"vm not a table", "vm = 1\n", "vers.toml:1:6: 'vm' must be a table"},
    {"storage not a table", "storage = \"x\"\n", "vers.toml:1:11: 'storage' must be a table"},
    {"services not a table", "services = []\n", "vers.toml:1:12: 'services' must be a table"},
    {"builder not a table", "builder = \"Dockerfile\"\n",
     "vers.toml:1:11: 'builder' must be a table"},
    {"dockerfile integer", "[builder]\ndockerfile = 1\n",
     "vers.toml:2:14: 'dockerfile' must be a string"},

    /* ranges */
    {"memory_mib too small", "[vm]\nmemory_mib = 63\n",
     "vers.toml:2:14: 'memory_mib' must be between 64 and 1048576, not 63"},
    {"memory_mib too large", "[vm]\nmemory_mib = 1048577\n",
     "vers.toml:2:14: 'memory_mib' must be between 64 and 1048576, not 1048577"},
    {"memory_mib negative", "[vm]\nmemory_mib = -2048\n",
     "vers.toml:2:14: 'memory_mib' must be between 64 and 1048576, not -2048"},
    {"memory_mib huge", "[vm]\nmemory_mib = 9223372036854775807\n",
     "vers.toml:2:14: 'memory_mib' must be between 64 and 1048576, not 9223372036854775807"},
    {"vcpu zero", "[vm]\nvcpu = 0\n", "vers.toml:2:8: 'vcpu' must be between 1 and 1024, not 0"},
    {"vcpu too large", "[vm]\nvcpu = 1025\n",
     "vers.toml:2:8: 'vcpu' must be between 1 and 1024, not 1025"},
    {"cluster_mib too small", "[storage]\ncluster_mib = 255\n",
     "vers.toml:2:15: 'cluster_mib' must be between 256 and 16777216, not 255"},
    {"cluster_mib too large", "[storage]\ncluster_mib = 16777217\n",
     "vers.toml:2:15: 'cluster_mib' must be between 256 and 16777216, not 16777217"},
    {"vm_mib too small", "[storage]\nvm_mib = 15\n",
     "vers.toml:2:10: 'vm_mib' must be between 16 and 16777216, not 15"},
    {"vm_mib too large", "[storage]\nvm_mib = 16777217\n",
     "vers.toml:2:10: 'vm_mib' must be between 16 and 16777216, not 16777217"},
    {"mem_size_mib too small", "[machine]\nmem_size_mib = 1\n",
     "vers.toml:2:16: 'mem_size_mib' must be between 64 and 1048576, not 1"},
    {"vcpu_count too large", "[machine]\nvcpu_count = 2048\n",
     "vers.toml:2:14: 'vcpu_count' must be between 1 and 1024, not 2048"},
    {"fs_size_vm_mib too small", "[machine]\nfs_size_vm_mib = 0\n",
     "vers.toml:2:18: 'fs_size_vm_mib' must be between 16 and 16777216, not 0"},

    /* both spellings of one setting */
    {"memory both", "[vm]\nmemory_mib = 512\n[machine]\nmem_size_mib = 512\n",
     "vers.toml:4:1: 'mem_size_mib' in [machine] and 'memory_mib' in [vm] (line 2) are the same "
     "setting; set only one"},
    {"memory both machine first", "[machine]\nmem_size_mib = 512\n[vm]\nmemory_mib = 512\n",
     "vers.toml:4:1: 'memory_mib' in [vm] and 'mem_size_mib' in [machine] (line 2) are the same "
     "setting; set only one"},
    {"vcpu both", "[machine]\nvcpu_count = 2\n[vm]\nvcpu = 2\n",
     "vers.toml:4:1: 'vcpu' in [vm] and 'vcpu_count' in [machine] (line 2) are the same "
     "setting; set only one"},
    {"vm_mib both", "[storage]\nvm_mib = 100\n\n[machine]\nfs_size_vm_mib = 200\n",
     "vers.toml:5:1: 'fs_size_vm_mib' in [machine] and 'vm_mib' in [storage] (line 2) are the "
     "same setting; set only one"},
    {"both spellings dotted", "vm.vcpu = 1\nmachine.vcpu_count = 1\n",
     "vers.toml:2:9: 'vcpu_count' in [machine] and 'vcpu' in [vm] (line 1) are the same "
     "setting; set only one"},

    /* unknown tables and keys */
    {"unknown key in vm", "[vm]\nfoo = 1\n", "vers.toml:2:1: unknown key 'foo' in [vm]"},
    {"unknown key in storage", "[storage]\n  cluster = 1\n",
     "vers.toml:2:3: unknown key 'cluster' in [storage]"},
    {"unknown key in machine", "[machine]\nkernel = \"x\"\n",
     "vers.toml:2:1: unknown key 'kernel' in [machine]"},
    {"synonym in wrong table", "[vm]\nvcpu_count = 1\n",
     "vers.toml:2:1: unknown key 'vcpu_count' in [vm]"},
    {"storage key in vm", "[vm]\nvm_mib = 100\n", "vers.toml:2:1: unknown key 'vm_mib' in [vm]"},
    {"unknown key in pool", "[pool]\nsizes = 1\n", "vers.toml:2:1: unknown key 'sizes' in [pool]"},
    {"unknown key in branches", "[branches]\nttls = \"1h\"\n",
     "vers.toml:2:1: unknown key 'ttls' in [branches]"},
    {"branches ttl integer", "[branches]\nttl = 5\n",
     "vers.toml:2:7: 'ttl' in [branches] must be a duration such as \"30m\", \"2h\" or "
     "\"1d12h\" (\"0\": none)"},
    {"branches ttl bad unit", "[branches]\nttl = \"2x\"\n",
     "vers.toml:2:7: 'ttl' in [branches] must be a duration such as \"30m\", \"2h\" or "
     "\"1d12h\" (\"0\": none)"},
    {"pool size negative", "[pool]\nsize = -1\n",
     "vers.toml:2:8: 'size' in [pool] must be an integer from 0 to 256"},
    {"pool size string", "[pool]\nsize = \"4\"\n",
     "vers.toml:2:8: 'size' in [pool] must be an integer from 0 to 256"},
    {"unknown key in checkpoint", "[checkpoint]\nverfy = true\n",
     "vers.toml:2:1: unknown key 'verfy' in [checkpoint]"},
    {"checkpoint verify string", "[checkpoint]\nverify = \"yes\"\n",
     "vers.toml:2:10: 'verify' must be true or false"},
    {"storage sparse number", "[storage]\nsparse = 1\n",
     "vers.toml:2:10: 'sparse' must be true or false"},
    {"vm pids too small", "[vm]\npids = 3\n",
     "vers.toml:2:8: 'pids' must be between 16 and 4194304, not 3"},
    {"checkpoint not a table", "checkpoint = 1\n", "vers.toml:1:14: 'checkpoint' must be a table"},
    {"build args not a table", "[builder]\nargs = ['A=1']\n",
     "vers.toml:2:8: 'args' in [builder] must be a table"},
    {"build arg array", "[builder.args]\nA = [1]\n",
     "vers.toml:2:5: 'A' in [builder.args] must be a string, integer or boolean"},
    {"build arg table", "[builder.args.A]\nB = 1\n",
     "vers.toml:1:15: 'A' in [builder.args] must be a string, integer or boolean"},
    {"build arg name", "[builder.args]\n\"1A\" = 'x'\n",
     "vers.toml:2:1: '1A' in [builder.args] is not an ARG name (letters, digits, '_')"},
    {"build arg name dash", "[builder.args]\nPG-MAJOR = 'x'\n",
     "vers.toml:2:1: 'PG-MAJOR' in [builder.args] is not an ARG name (letters, digits, '_')"},
    {"unknown key in builder", "[builder]\ncontext = \".\"\n",
     "vers.toml:2:1: unknown key 'context' in [builder]"},
    {"unknown sub-table", "[vm.extra]\n", "vers.toml:1:5: unknown key 'extra' in [vm]"},
    {"unknown table", "[vm]\nvcpu = 1\n[foo]\nbar = 1\n", "vers.toml:3:2: unknown table [foo]"},
    {"unknown quoted table", "[\"my table\"]\n", "vers.toml:1:2: unknown table [\"my table\"]"},
    {"unknown top-level key", "memory_mib = 2048\n", "vers.toml:1:1: unknown key 'memory_mib'"},
    {"unknown dotted top-level", "meta.project = \"x\"\n", "vers.toml:1:1: unknown table [meta]"},
    {"case matters", "[VM]\n", "vers.toml:1:2: unknown table [VM]"},

    /* services */
    {"service without template", "[services.postgres]\ndatabases = [\"app\"]\n",
     "vers.toml:1:11: missing 'template' in [services.postgres]"},
    {"service only settings", "[services.pg.settings]\nwork_mem = \"1MB\"\n",
     "vers.toml:1:11: missing 'template' in [services.pg]"},
    {"second service without template", "[services.a]\ntemplate = \"x\"\n\n[services.b]\n",
     "vers.toml:4:11: missing 'template' in [services.b]"},
    {"service not a table", "[services]\npg = \"postgres@15\"\n",
     "vers.toml:2:6: 'pg' in [services] must be a table"},
    {"service name with space", "[services.\"my db\"]\ntemplate = \"x\"\n",
     "vers.toml:1:11: invalid service name 'my db' (1 to 64 letters, digits, '.', '_' or '-')"},
    {"service name empty", "[services.\"\"]\ntemplate = \"x\"\n",
     "vers.toml:1:11: invalid service name '' (1 to 64 letters, digits, '.', '_' or '-')"},
    {"service name slash", "[services.'a/b']\ntemplate = \"x\"\n",
     "vers.toml:1:11: invalid service name 'a/b' (1 to 64 letters, digits, '.', '_' or '-')"},
    {"service name non-ascii", "[services.\"caf\xC3\xA9\"]\ntemplate = \"x\"\n",
     "vers.toml:1:11: invalid service name 'caf\xC3\xA9' (1 to 64 letters, digits, '.', '_' or "
     "'-')"},
    {"template integer", "[services.pg]\ntemplate = 15\n",
     "vers.toml:2:12: 'template' in [services.pg] must be a string"},
    {"template empty", "[services.pg]\ntemplate = \"\"\n",
     "vers.toml:2:12: 'template' in [services.pg] must not be empty"},
    {"template array", "[services.pg]\ntemplate = [\"a\"]\n",
     "vers.toml:2:12: 'template' in [services.pg] must be a string"},
    {"databases string", "[services.pg]\ntemplate = \"p\"\ndatabases = \"app\"\n",
     "vers.toml:3:13: 'databases' in [services.pg] must be an array of strings"},
    {"databases integer element", "[services.pg]\ntemplate = \"p\"\ndatabases = [\"app\", 1]\n",
     "vers.toml:3:21: 'databases' in [services.pg] must be an array of strings, found integer"},
    {"databases nested array", "[services.pg]\ntemplate = \"p\"\ndatabases = [[\"app\"]]\n",
     "vers.toml:3:14: 'databases' in [services.pg] must be an array of strings, found array"},
    {"extensions boolean element", "[services.pg]\ntemplate = \"p\"\nextensions = [\n  true,\n]\n",
     "vers.toml:4:3: 'extensions' in [services.pg] must be an array of strings, found boolean"},
    {"extensions table", "[services.pg]\ntemplate = \"p\"\n[services.pg.extensions]\n",
     "vers.toml:3:14: 'extensions' in [services.pg] must be an array of strings"},
    {"unknown service key", "[services.pg]\ntemplate = \"p\"\nversion = 15\n",
     "vers.toml:3:1: unknown key 'version' in [services.pg]"},
    {"unknown key in quoted service", "[services.\"pg.main\"]\ntemplate = \"p\"\nx = 1\n",
     "vers.toml:3:1: unknown key 'x' in [services.\"pg.main\"]"},
    {"settings not a table", "[services.pg]\ntemplate = \"p\"\nsettings = \"x\"\n",
     "vers.toml:3:12: 'settings' in [services.pg] must be a table"},
    {"setting array", "[services.pg]\ntemplate = \"p\"\n[services.pg.settings]\nlist = [\"a\"]\n",
     "vers.toml:4:8: setting 'list' in [services.pg.settings] must be a string, integer or "
     "boolean"},
    {"setting table", "[services.pg]\ntemplate = \"p\"\n[services.pg.settings.sub]\n",
     "vers.toml:3:23: setting 'sub' in [services.pg.settings] must be a string, integer or "
     "boolean"},
    {"setting dotted key", "[services.pg]\ntemplate = \"p\"\n[services.pg.settings]\na.b = 1\n",
     "vers.toml:4:1: setting 'a' in [services.pg.settings] must be a string, integer or "
     "boolean"},
    {"duplicate setting", "[services.pg]\ntemplate = \"p\"\n[services.pg.settings]\na = 1\na = 2\n",
     "vers.toml:5:1: duplicate key 'a' in [services.pg.settings] (first defined on line 4)"},
    {"unquoted dot in service name", "[services.pg.main]\ntemplate = \"p\"\n",
     "vers.toml:1:14: unknown key 'main' in [services.pg]"},
    {"duplicate service", "[services.pg]\ntemplate = \"p\"\n[services.pg]\n",
     "vers.toml:3:1: table [services.pg] is already defined on line 1"},
};

static void test_bad(void **state)
{
        const struct bad *c = *state;
        expect_error(c->text, c->msg);
}

/* template names as vers_services_check (the cheap check before any build step) sees them */
static int check_template(const char *name, char **msg)
{
        struct vers_config cfg;
        _cleanup_free_ char *text = xasprintf("[services.pg]\ntemplate = \"%s\"\n", name);
        parse_ok(text, &cfg);
        vers_error_t err = NULL;
        int rc = vers_services_check(&cfg, &err);
        *msg = err ? xstrdup(err->msg) : NULL;
        vers_error_free(&err);
        vers_config_free(&cfg);
        return rc;
}

static void test_service_templates(void **state)
{
        (void)state;
        static const char *const good[] = {"postgres@15", "postgres@16", "postgres@9", "postgres",
                                           "postgres@17", "mariadb",     "mysql",      "redis@7"};
        for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
                char *msg = NULL;
                if (check_template(good[i], &msg) < 0)
                        print_error("%s: %s\n", good[i], msg);
                assert_null(msg);
        }
        static const char *const bad[] = {"postgres@",    "postgres@x",    "postgres@016",
                                          "postgres@15x", "postgres@1234", "postgres@-1"};
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
                char *msg = NULL;
                assert_int_equal(check_template(bad[i], &msg), -1);
                _cleanup_free_ char *want =
                    xasprintf("service 'pg': template '%s': '%s' is not a PostgreSQL major", bad[i],
                              bad[i] + strlen("postgres@"));
                if (!str_startswith(msg, want))
                        print_error("%s: %s\n", bad[i], msg);
                assert_true(str_startswith(msg, want));
                free(msg);
        }
        char *msg = NULL;
        assert_int_equal(check_template("oracle@23", &msg), -1);
        assert_string_equal(msg, "service 'pg': unknown template 'oracle@23' (available: "
                                 "postgres@15, mariadb (or mysql), redis@7); postgres@N takes "
                                 "any PostgreSQL major N the image has");
        free(msg);
        /* two PostgreSQL services of any majors would share port 5432 */
        struct vers_config cfg;
        parse_ok("[services.a]\ntemplate = \"postgres@15\"\n[services.b]\ntemplate = "
                 "\"postgres@16\"\n",
                 &cfg);
        vers_error_t err = NULL;
        assert_int_equal(vers_services_check(&cfg, &err), -1);
        assert_non_null(strstr(err->msg, "only one postgres service per env"));
        vers_error_free(&err);
        vers_config_free(&cfg);
}

/* the binary check looks in the image's tree (a FROM debian:... image), and a bare "postgres"
 * takes the one major the image has */
static void test_service_binaries_in_image(void **state)
{
        (void)state;
        NEED_SYSCALL("openat2"); /* the image's tree is read in-root */
        char root[] = "/tmp/vers-test-img.XXXXXX";
        assert_non_null(mkdtemp(root));
        _cleanup_free_ char *bin = xasprintf("%s/usr/lib/postgresql/16/bin", root);
        assert_int_equal(vers_mkdir_p(bin, 0755, NULL), 0);
        _cleanup_free_ char *pg = xasprintf("%s/postgres", bin);
        assert_int_equal(vers_write_file_atomic(pg, "", 0, 0755, NULL), 0);
        _cleanup_strv_ char **majors = vers_services_pg_majors(root);
        assert_int_equal(strv_len(majors), 1);
        assert_string_equal(majors[0], "16");

        struct vers_config cfg;
        parse_ok("[services.pg]\ntemplate = \"postgres\"\n", &cfg);
        vers_error_t err = NULL;
        assert_int_equal(vers_services_check_image(&cfg, root, true, &err), 0);
        assert_string_equal(cfg.services[0].template_, "postgres@16");
        vers_config_free(&cfg);

        parse_ok("[services.pg]\ntemplate = \"postgres@17\"\n", &cfg);
        assert_int_equal(vers_services_check_image(&cfg, root, true, &err), -1);
        assert_string_equal(err->msg, "service 'pg': template 'postgres@17' needs "
                                      "/usr/lib/postgresql/17/bin/postgres, which the image does "
                                      "not have (install postgresql-17 in a RUN step)");
        vers_error_free(&err);
        vers_config_free(&cfg);

        parse_ok("[services.r]\ntemplate = \"redis@7\"\n", &cfg);
        assert_int_equal(vers_services_check_image(&cfg, root, true, &err), -1);
        assert_non_null(strstr(err->msg, "needs /usr/bin/redis-server, which the image does not "
                                         "have (install redis-server in a RUN step)"));
        vers_error_free(&err);
        vers_config_free(&cfg);
        /* a host-side client ('vers env') of postgres@16 reaches it as any postgres@N */
        _cleanup_free_ char *dotvers = xasprintf("%s/.vers", root);
        assert_int_equal(vers_mkdir_p(dotvers, 0755, NULL), 0);
        const char *cl = "# service\ttemplate\tdatabase\npg\tpostgres@16\tapp\n";
        assert_int_equal(vers_write_file_in_root(root, ".vers/clients", cl, strlen(cl), 0644, NULL),
                         0);
        struct vers_service_client c;
        assert_int_equal(vers_services_client(root, &c, NULL), 0);
        assert_string_equal(c.template_, "postgres@16");
        assert_string_equal(c.socket, "run/postgresql/.s.PGSQL.5432");
        assert_string_equal(c.database, "app");
        _cleanup_strv_ char **vars = vers_services_client_vars(&c, "/h");
        assert_string_equal(vars[0], "PGHOST=/h");
        assert_string_equal(vars[1], "PGPORT=5432");
        vers_service_client_clear(&c);
        /* not a major: not a client */
        cl = "pg\tpostgres@x\tapp\n";
        assert_int_equal(vers_write_file_in_root(root, ".vers/clients", cl, strlen(cl), 0644, NULL),
                         0);
        assert_int_equal(vers_services_client(root, &c, &err), -1);
        vers_error_free(&err);
        vers_service_client_clear(&c);
        assert_int_equal(vers_rm_rf(root, NULL), 0);
}

int main(void)
{
        static const struct CMUnitTest fixed[] = {
            cmocka_unit_test(test_vers_toml),
            cmocka_unit_test(test_init_defaults),
            cmocka_unit_test(test_empty_file_keeps_defaults),
            cmocka_unit_test(test_partial_keeps_other_defaults),
            cmocka_unit_test(test_machine_synonyms),
            cmocka_unit_test(test_checkpoint_verify),
            cmocka_unit_test(test_pool_size),
            cmocka_unit_test(test_branches_ttl),
            cmocka_unit_test(test_storage_sparse_and_pids),
            cmocka_unit_test(test_range_limits),
            cmocka_unit_test(test_builder),
            cmocka_unit_test(test_services_order_and_fields),
            cmocka_unit_test(test_service_name_limits),
            cmocka_unit_test(test_settings_via_dotted_keys),
            cmocka_unit_test(test_error_resets_config),
            cmocka_unit_test(test_null_filename_and_err),
            cmocka_unit_test(test_load),
            cmocka_unit_test(test_service_templates),
            cmocka_unit_test(test_service_binaries_in_image),
        };
        return RUN_WITH_TABLE("config", fixed, bad_cases, test_bad);
}
