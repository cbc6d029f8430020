#include "config.h"

#include "image/manifest.h"
