/* vers doctor: what this machine can do */
#include "cli.h"
#include "engine/doctor.h"

#include <string.h>

static const struct cli_opt doctor_opts[] = {
    {CLI_ID_JSON, NULL, "json", NULL,
     "print {\"kernel\", \"criu\", \"commit_mode\", \"checks\": {NAME: {\"ok\", \"detail\"}}}", 0,
     0},
    {0},
};

const struct cli_spec cli_spec_doctor = {
    .name = "doctor",
    .about = "Report the kernel, CRIU and what works on this machine: btrfs, loop devices,\n"
             "namespaces, cgroups, seccomp, warm checkpoints, PostgreSQL; the host ids of "
             "VERS_ROOT's\nenvs, and what the sandbox enforces in every env (seccomp, "
             "capabilities,\nmasked and read-only paths). Exits 1 when something vers needs is "
             "missing.\n",
    .opts = doctor_opts,
};

static json_t *report_json(const struct vers_doctor_report *r)
{
        json_t *checks = json_object();
        for (size_t i = 0; i < r->n_checks; i++)
                json_object_set_new(checks, r->checks[i].what,
                                    json_pack("{s:b, s:o}", "ok", r->checks[i].ok, "detail",
                                              vers_json_text(r->checks[i].detail)));
        return json_pack("{s:o, s:o, s:s, s:o}", "kernel", vers_json_text(r->kernel), "criu",
                         vers_json_str(r->criu), "commit_mode", r->warm ? "warm" : "cold", "checks",
                         checks);
}

static void print_report(const struct vers_doctor_report *r)
{
        printf("kernel           %s\n", r->kernel);
        printf("criu             %s\n", r->criu ? r->criu : "not found");
        for (size_t i = 0; i < r->n_checks; i++)
                printf("%-16s %-4s %s\n", r->checks[i].what, r->checks[i].ok ? "ok" : "NO",
                       r->checks[i].detail);
        printf("commits will be  %s\n",
               r->warm ? "warm (processes and memory too)" : "cold (disk only)");
        printf("in every env:\n");
        for (const char *l = r->sandbox, *nl; l && *l; l = nl + 1) {
                nl = strchrnul(l, '\n');
                printf("  %.*s\n", (int)(nl - l), l);
                if (!*nl)
                        break;
        }
}

int cmd_doctor(struct vers_ctx *ctx, int argc, char **argv, vers_error_t *err)
{
        bool json = false;
        _cleanup_parse_ struct cli_parse p = cli_parse_start(&cli_spec_doctor, argc, argv);
        int rc = cli_parse_flags(&p, &json, NULL);
        if (rc)
                return rc;
        struct vers_doctor_report r;
        vers_doctor(&r);
        if (json)
                rc = cli_json_print(report_json(&r), err);
        else
                print_report(&r);
        if (rc == 0 && !r.ok)
                rc = 1; /* no message: the report says what is missing */
        vers_doctor_report_free(&r);
        return rc;
}
