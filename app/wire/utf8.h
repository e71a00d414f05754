#pragma once

#include <QByteArrayView>

namespace wsi {

// Strict UTF-8 check as RFC 6455 demands of text messages and close reasons: no overlong forms, no
// surrogates, nothing above U+10FFFF, no truncated sequence at the end.
bool isValidUtf8(QByteArrayView data);

} // namespace wsi
