/* wgd-error.h — the GError domain for errors the common code reports. */
#pragma once

#include <glib.h>

#define WGD_ERROR (wgd_error_quark ())

typedef enum {
  WGD_ERROR_MALFORMED,    /* input does not follow its format */
  WGD_ERROR_TOO_LARGE,    /* input exceeds a size limit */
  WGD_ERROR_INSECURE,     /* a secret file others can read */
  WGD_ERROR_IO,           /* reading or writing a file failed */
  WGD_ERROR_INVALID,      /* a value outside its allowed range */
} WgdErrorCode;

GQuark wgd_error_quark (void);
