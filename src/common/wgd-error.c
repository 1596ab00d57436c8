/* wgd-error.c — the common error domain. */
#include "config.h"

#include "wgd-error.h"

G_DEFINE_QUARK (wgd-error-quark, wgd_error)
