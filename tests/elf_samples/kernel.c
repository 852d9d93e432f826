/* SPDX-License-Identifier: MIT */
/* A vmlinux-like freestanding ARM image (linked at 0xC0008000 by the build). */
const char linux_banner[] = "Linux version 0.0.0-lpae-test";
unsigned long jiffies = 1;
unsigned long __attribute__((aligned(4096))) swapper_pg_dir[1024];

void start_kernel(void);
void start_kernel(void)
{
    for (;;)
        jiffies += (unsigned long)linux_banner[jiffies % sizeof linux_banner];
}

void stext(void);
void stext(void)
{
    start_kernel();
}
