/* SPDX-License-Identifier: MIT */
/* A module-like ARM object (ET_REL) with the sections Linux's loader groups. */
static int sample_state;
static const int sample_table[4] = {1, 2, 3, 4};
int sample_param = 7;
static int sample_ro_after_init __attribute__((section(".data..ro_after_init"))) = 5;
static const char sample_modinfo[] __attribute__((section(".modinfo"), used)) = "license=MIT";

int sample_work(int x);
int sample_work(int x)
{
    sample_state += x;
    return sample_state + sample_table[x & 3] + sample_param + sample_ro_after_init;
}

int sample_init(void) __attribute__((section(".init.text")));
int sample_init(void)
{
    return sample_work(1);
}

void sample_exit(void) __attribute__((section(".exit.text")));
void sample_exit(void)
{
    sample_state = 0;
}
