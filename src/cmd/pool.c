/* vers pool (and pool list, pool drain): ready pools of a commit's branches */
#include "cli.h"
#include "engine/pool.h"

static const struct cli_opt pool_opts[] = {
    {CLI_ID_SIZE, NULL, "size", "N",
     "keep N branches ready ([pool] size by default); 0 drains and\nforgets the pool", 0, 256},
    {CLI_ID_WARM, NULL, "warm", NULL,
     "its envs restore the commit's processes (a warm commit's "
     "default),\nor fail saying why",
     0, 0},
    {CLI_ID_COLD, NULL, "cold", NULL, "its envs boot the services on the commit's disk", 0, 0},
    {'a', "a", "all", NULL, "(listing) the pools of every project sharing VERS_ROOT", 0, 0},
    {CLI_ID_JSON, NULL, "json", NULL, "(listing) one object per pool", 0, 0},
    {CLI_ID_REFILL, NULL, "refill", "COMMIT",
     "fill COMMIT's pool to its size (what 'vers branch' starts,\ndetached, after it takes one)", 0,
     0},
    {0},
};

#define POOL_ABOUT_LIST                                                                            \
        "Without COMMIT, list the pools of this project: the commit, the mode its envs start\n"    \
        "in, the size, how many are ready, and their memory (their cgroups' charge) and disk\n"    \
        "(their exclusive bytes, when the store has quotas; else -).\n"

const struct cli_spec cli_spec_pool = {
    .name = "pool",
    .operands = "[COMMIT|TAG]",
    .about = "Keep N branches of a commit made ahead and frozen (no CPU while idle): 'vers\n"
             "branch COMMIT' then takes a ready one (thawed, named, answering) and a detached\n"
             "refill makes a new one. Fills the pool before it returns (a line per env on\n"
             "stderr), or deletes the extra ones when N is smaller. The mode is decided as\n"
             "'vers branch' decides it, and kept: 'vers branch --cold' of a warm pool's commit\n"
             "makes its env the normal way. Pooled envs are not listed by 'vers "
             "status'.\n" POOL_ABOUT_LIST,
    .opts = pool_opts,
    .max_operands = 1,
};

static const struct cli_opt list_opts[] = {
    {'a', "a", "all", NULL, "the pools of every project sharing VERS_ROOT", 0, 0},
    {CLI_ID_JSON, NULL, "json", NULL,
     "one object per pool: commit, label, mode, size, ready,\nmemory_bytes, disk_bytes (null: "
     "unknown), project",
     0, 0},
    {0},
};

const struct cli_spec cli_spec_pool_list = {
    .name = "pool list",
    .about = POOL_ABOUT_LIST,
    .opts = list_opts,
};

const struct cli_spec cli_spec_pool_drain = {
    .name = "pool drain",
    .operands = "COMMIT|TAG",
    .about = "Delete the ready envs of the commit's pool and forget the pool (as --size 0).\n",
    .opts = (const struct cli_opt[]){{0}},
    .min_operands = 1,
    .max_operands = 1,
    .missing = "which commit's pool?",
};

static json_t *bytes_json(long long b)
{
        return b < 0 ? json_null() : json_integer((json_int_t)b);
}

static char *bytes_text(long long b)
{
        if (b < 0)
                return xstrdup("-");
        if (b < 10 * 1024 * 1024)
                return xasprintf("%lld KiB", b / 1024);
        return xasprintf("%lld MiB", b / (1024 * 1024));
}

static int print_pools(struct vers_ctx *ctx, bool all, bool json, vers_error_t *err)
{
        struct vers_pool_info *v = NULL;
        size_t n = 0;
        if (vers_pool_list(ctx, all, &v, &n, err) < 0)
                return -1;
        int r = 0;
        if (json) {
                json_t *a = json_array();
                for (size_t i = 0; i < n; i++)
                        json_array_append_new(
                            a, json_pack("{s:s, s:s, s:s, s:i, s:i, s:o, s:o, s:o}", "commit",
                                         v[i].commit, "label", v[i].label, "mode", v[i].mode,
                                         "size", v[i].size, "ready", v[i].ready, "memory_bytes",
                                         bytes_json(v[i].memory_bytes), "disk_bytes",
                                         bytes_json(v[i].disk_bytes), "project",
                                         vers_json_text(v[i].project)));
                r = cli_json_print(a, err);
        } else if (!n) {
                fputs(all ? "no pools (make one with 'vers pool COMMIT --size N')\n"
                          : "no pools in this project (make one with 'vers pool COMMIT --size N'; "
                            "--all lists every project's)\n",
                      stdout);
        } else {
                printf("%-28s  %-5s  %4s  %5s  %10s  %10s%s\n", "COMMIT", "MODE", "SIZE", "READY",
                       "MEMORY", "DISK", all ? "  PROJECT" : "");
                for (size_t i = 0; i < n; i++) {
                        _cleanup_free_ char *mem = bytes_text(v[i].memory_bytes);
                        _cleanup_free_ char *disk = bytes_text(v[i].disk_bytes);
                        printf("%-28s  %-5s  %4d  %5d  %10s  %10s", v[i].label, v[i].mode,
                               v[i].size, v[i].ready, mem, disk);
                        if (all)
                                printf("  %s", v[i].project ? v[i].project : "-");
                        putchar('\n');
                }
        }
        vers_pool_infos_free(v, n);
        return r;
}

int cmd_pool(struct vers_ctx *ctx, int argc, char **argv, vers_error_t *err)
{
        int size = -1;
        enum vers_mode mode = VERS_MODE_AUTO;
        bool all = false, json = false;
        const char *refill = NULL;
        _cleanup_parse_ struct cli_parse p = cli_parse_start(&cli_spec_pool, argc, argv);
        int c;
        while ((c = cli_next(&p)) > 0) {
                switch (c) {
                case CLI_ID_SIZE:
                        size = (int)p.num;
                        break;
                case CLI_ID_WARM:
                        mode = VERS_MODE_WARM;
                        break;
                case CLI_ID_COLD:
                        mode = VERS_MODE_COLD;
                        break;
                case 'a':
                        all = true;
                        break;
                case CLI_ID_JSON:
                        json = true;
                        break;
                case CLI_ID_REFILL:
                        refill = p.arg;
                        break;
                }
        }
        if (c < 0)
                return cli_parse_exit(c);
        if (refill)
                return vers_pool_refill(ctx, refill, err);
        if (!p.n_operands) {
                if (size >= 0 || mode != VERS_MODE_AUTO)
                        return cli_usage_error(&cli_spec_pool, "which commit's pool?");
                return print_pools(ctx, all, json, err);
        }
        if (all || json)
                return cli_usage_error(&cli_spec_pool, "--all and --json are for the listing");
        if (size < 0 && ctx->cfg.pool_size <= 0)
                return cli_usage_error(&cli_spec_pool,
                                       "how many? give --size N (or [pool] size in vers.toml)");
        struct vers_pool_info out;
        if (vers_pool_set(ctx, p.operands[0], size, mode, &out, err) < 0)
                return -1;
        if (out.size)
                printf("pool %s: %d of %d ready (%s)\n", out.label, out.ready, out.size, out.mode);
        else
                printf("pool %s: drained\n", out.label);
        vers_pool_info_clear(&out);
        return 0;
}

int cmd_pool_list(struct vers_ctx *ctx, int argc, char **argv, vers_error_t *err)
{
        bool json = false, all = false;
        _cleanup_parse_ struct cli_parse p = cli_parse_start(&cli_spec_pool_list, argc, argv);
        int rc = cli_parse_flags(&p, &json, &all);
        if (rc)
                return rc;
        return print_pools(ctx, all, json, err);
}

int cmd_pool_drain(struct vers_ctx *ctx, int argc, char **argv, vers_error_t *err)
{
        _cleanup_parse_ struct cli_parse p = cli_parse_start(&cli_spec_pool_drain, argc, argv);
        int rc = cli_parse_flags(&p, NULL, NULL);
        if (rc)
                return rc;
        if (vers_pool_drain_name(ctx, p.operands[0], err) < 0)
                return -1;
        _cleanup_free_ char *label = xstrdup(p.operands[0]);
        printf("pool %s: drained\n", label);
        return 0;
}
