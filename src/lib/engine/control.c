/* control — an env's PID 1: alive or not, killed with its cgroup, waited for. */
#include "engine/engine-private.h"
#include "os/cgroup.h"

#include <signal.h>

/* The env's cgroup: the one its row records (meta.h), else the one its id names now. */
const char *vers_env_cg(const struct vers_env *e)
{
        return e->cgroup ? e->cgroup : e->id;
}

bool vers_env_is_running(const struct vers_env *e)
{
        return e->init_pid > 0 && vers_pid_alive((pid_t)e->init_pid, (uint64_t)e->init_start);
}

/* Kill an env's processes at once (its state is about to be discarded). */
void vers_env_kill(const struct vers_env *e)
{
        if (vers_env_is_running(e))
                kill((pid_t)e->init_pid, SIGKILL);
        vers_cgroup_kill(vers_env_cg(e));
        vers_cgroup_destroy(vers_env_cg(e));
}

void vers_env_wait_gone(const struct vers_env *e, int timeout_ms)
{
        for (int t = 0; t < timeout_ms && vers_env_is_running(e); t += 10)
                vers_sleep_ms(10);
}
