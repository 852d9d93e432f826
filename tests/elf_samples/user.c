/* SPDX-License-Identifier: MIT */
/* A tiny freestanding ARM user program for the ELF loader tests. */
int counter = 3;
static const char greeting[] = "hello from an ARM user program";
char scratch[8192];

int work(int n);
int work(int n)
{
    int s = 0;
    for (int i = 0; i < n; i++)
        s += greeting[i % (int)sizeof greeting] + scratch[i];
    return s + counter;
}

void _start(void);
void _start(void)
{
    counter = work(counter);
    for (;;)
        ;
}
