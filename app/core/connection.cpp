#include "connection.h"

namespace wsi {

QString roleName(ConnectionRole r)
{
    switch (r) {
    case ConnectionRole::Client:
        return QStringLiteral("client");
    case ConnectionRole::Server:
        return QStringLiteral("server");
    case ConnectionRole::Proxy:
        return QStringLiteral("proxy");
    }
    return {};
}

std::optional<ConnectionRole> roleFromName(QStringView name)
{
    for (auto r : { ConnectionRole::Client, ConnectionRole::Server, ConnectionRole::Proxy }) {
        if (name == roleName(r))
            return r;
    }
    return std::nullopt;
}

} // namespace wsi
