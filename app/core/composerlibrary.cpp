#include "composerlibrary.h"

#include "configfile.h"
#include "textposition.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>
#include <QStandardPaths>

#include <algorithm>

namespace wsi {

namespace {
const QLatin1String FormatName("wsinspector-composer");
constexpr int FormatVersion = 1;

QJsonObject toJson(const ComposerMessage& message)
{
    return QJsonObject { { QLatin1String("mode"), ComposerMessage::modeName(message.mode) },
        { QLatin1String("text"), message.text } };
}

std::optional<ComposerMessage> messageFromJson(const QJsonValue& value)
{
    const QJsonObject object = value.toObject();
    const std::optional<ComposerMode> mode
        = ComposerMessage::modeFromName(object.value(QLatin1String("mode")).toString());
    const QJsonValue text = object.value(QLatin1String("text"));
    if (!mode || !text.isString())
        return std::nullopt;
    return ComposerMessage { *mode, text.toString() };
}

bool hasControlCharacters(QStringView s)
{
    return std::any_of(s.begin(), s.end(), [](QChar c) { return c.category() == QChar::Other_Control; });
}
} // namespace

QString ComposerLibrary::defaultPath()
{
    return QStandardPaths::writableLocation(QStandardPaths::AppConfigLocation) + QLatin1String("/composer.json");
}

ComposerLibrary::ComposerLibrary(const QString& path)
    : m_path(path)
{ }

QString ComposerLibrary::validName(const QString& name, QString* error)
{
    const QString trimmed = name.trimmed();
    QString problem;
    if (trimmed.isEmpty())
        problem = tr("A template needs a name.");
    else if (trimmed.size() > MaxNameChars)
        problem = tr("A template name has at most %1 characters.").arg(MaxNameChars);
    else if (hasControlCharacters(trimmed))
        problem = tr("A template name is one line without control characters.");
    if (!problem.isEmpty()) {
        if (error)
            *error = problem;
        return {};
    }
    return trimmed;
}

QString ComposerLibrary::load()
{
    m_templates.clear();
    m_history.clear();
    m_clearAfterSend = false;
    m_writable = true;

    QFile file(m_path);
    if (!file.exists())
        return {};
    if (!file.open(QIODevice::ReadOnly))
        return keepBadFile(tr("it could not be opened (%1)").arg(file.errorString()));
    if (file.size() > MaxFileBytes) {
        file.close();
        return keepBadFile(tr("it is larger than %1 MiB").arg(MaxFileBytes >> 20));
    }
    const QByteArray data = file.readAll();
    const bool readFailed = file.error() != QFileDevice::NoError;
    const QString readError = file.errorString();
    file.close();
    if (readFailed)
        return keepBadFile(tr("it could not be read (%1)").arg(readError));

    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(data, &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        const TextPosition at = utf8TextPosition(data, parseError.offset);
        return keepBadFile(tr("it is not valid JSON (line %1, column %2: %3)")
                               .arg(at.line)
                               .arg(at.column)
                               .arg(parseError.errorString()));
    }
    const QJsonObject root = document.object();
    if (!document.isObject() || root.value(QLatin1String("format")).toString() != FormatName)
        return keepBadFile(tr("it is not a composer library (no \"format\": \"%1\")").arg(FormatName));
    const int version = root.value(QLatin1String("version")).toInt(-1);
    if (version > FormatVersion) {
        // Neither moved aside nor saved over: the newer version that wrote it still needs it.
        m_writable = false;
        return tr("The composer's templates and history in %1 were written by a newer version of WebSocket "
                  "Inspector (format version %2; this one reads version %3). They are not used, and nothing is "
                  "saved over them while this version runs.")
            .arg(QDir::toNativeSeparators(m_path))
            .arg(version)
            .arg(FormatVersion);
    }
    if (version < 1)
        return keepBadFile(tr("it has no valid format version"));

    int skipped = 0;
    for (const QJsonValue& value : root.value(QLatin1String("templates")).toArray()) {
        const std::optional<ComposerMessage> message = messageFromJson(value);
        const QString name = validName(value.toObject().value(QLatin1String("name")).toString(), nullptr);
        if (!message || name.isEmpty() || indexOf(name) >= 0) {
            ++skipped;
            continue;
        }
        m_templates.append(Template { name, *message });
    }
    sortTemplates();
    for (const QJsonValue& value : root.value(QLatin1String("history")).toArray()) {
        if (const std::optional<ComposerMessage> message = messageFromJson(value))
            m_history.append(*message);
        else
            ++skipped;
    }
    if (m_history.size() > MaxHistory)
        m_history.remove(0, m_history.size() - MaxHistory);
    m_clearAfterSend = root.value(QLatin1String("clearAfterSend")).toBool(false);

    if (skipped == 0)
        return {};
    // The readable entries are in use and will be written back; the file as it was stays for the user.
    const QString what
        = skipped == 1 ? tr("1 template or history entry") : tr("%1 templates or history entries").arg(skipped);
    QString copyError;
    const QString bad = setAsideBadFile(m_path, SetAside::Copy, &copyError);
    if (bad.isEmpty()) {
        // Writing the readable part back would destroy the only copy of the rest.
        m_writable = false;
        return tr("%1 in %2 could not be read and were left out. Copying the file aside failed (%3), so nothing "
                  "is saved over it while this version runs.")
            .arg(what, QDir::toNativeSeparators(m_path), copyError);
    }
    return tr("%1 in %2 could not be read and were left out; the file as it was is kept as %3.")
        .arg(what, QDir::toNativeSeparators(m_path), QDir::toNativeSeparators(bad));
}

QString ComposerLibrary::keepBadFile(const QString& problem)
{
    const QString path = QDir::toNativeSeparators(m_path);
    QString moveError;
    const QString bad = setAsideBadFile(m_path, SetAside::Move, &moveError);
    if (bad.isEmpty()) {
        // Saving now would destroy the only copy.
        m_writable = false;
        return tr("The composer's templates and history could not be read from %1: %2. Moving it aside failed "
                  "(%3), so nothing is saved over it while this version runs; the composer starts without "
                  "templates and history.")
            .arg(path, problem, moveError);
    }
    return tr("The composer's templates and history could not be read from %1: %2. The file is kept as %3; the "
              "composer starts without templates and history.")
        .arg(path, problem, QDir::toNativeSeparators(bad));
}

QString ComposerLibrary::save() const
{
    if (!m_writable)
        return tr("The composer's templates and history were not saved: %1 could not be read by this version and "
                  "is left as it is.")
            .arg(QDir::toNativeSeparators(m_path));
    QJsonArray templates;
    for (const Template& t : m_templates) {
        QJsonObject object = toJson(t.message);
        object.insert(QLatin1String("name"), t.name);
        templates.append(object);
    }
    QJsonArray history;
    for (const ComposerMessage& message : m_history)
        history.append(toJson(message));
    const QJsonObject root { { QLatin1String("format"), FormatName }, { QLatin1String("version"), FormatVersion },
        { QLatin1String("clearAfterSend"), m_clearAfterSend }, { QLatin1String("templates"), templates },
        { QLatin1String("history"), history } };

    const QString path = QDir::toNativeSeparators(m_path);
    if (!QDir().mkpath(QFileInfo(m_path).absolutePath()))
        return tr("Could not create the folder for %1.").arg(path);
    QSaveFile file(m_path);
    if (!file.open(QIODevice::WriteOnly))
        return tr("Could not write %1: %2").arg(path, file.errorString());
    // Messages and templates often hold tokens: readable by the user only.
    file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    file.write(QJsonDocument(root).toJson(QJsonDocument::Indented));
    if (!file.commit())
        return tr("Could not write %1: %2").arg(path, file.errorString());
    return {};
}

QStringList ComposerLibrary::templateNames() const
{
    QStringList names;
    names.reserve(m_templates.size());
    for (const Template& t : m_templates)
        names << t.name;
    return names;
}

int ComposerLibrary::indexOf(const QString& name) const
{
    const QString trimmed = name.trimmed();
    for (int i = 0; i < m_templates.size(); ++i) {
        if (m_templates.at(i).name.compare(trimmed, Qt::CaseInsensitive) == 0)
            return i;
    }
    return -1;
}

void ComposerLibrary::sortTemplates()
{
    std::stable_sort(m_templates.begin(), m_templates.end(),
        [](const Template& a, const Template& b) { return a.name.compare(b.name, Qt::CaseInsensitive) < 0; });
}

const ComposerLibrary::Template* ComposerLibrary::findTemplate(const QString& name) const
{
    const int i = indexOf(name);
    return i < 0 ? nullptr : &m_templates.at(i);
}

bool ComposerLibrary::setTemplate(const QString& name, const ComposerMessage& message, QString* error)
{
    const QString valid = validName(name, error);
    if (valid.isEmpty())
        return false;
    if (message.text.size() > MaxTemplateTextChars) {
        if (error)
            *error = tr("A template holds at most %1 MiB of text.").arg(MaxTemplateTextChars >> 20);
        return false;
    }
    const int i = indexOf(valid);
    if (i < 0 && m_templates.size() >= MaxTemplates) {
        if (error)
            *error = tr("There are already %1 templates, the most the composer keeps; delete one to save another.")
                         .arg(MaxTemplates);
        return false;
    }
    qsizetype total = message.text.size();
    for (int n = 0; n < m_templates.size(); ++n) {
        if (n != i)
            total += m_templates.at(n).message.text.size();
    }
    if (total > MaxTotalTemplateChars) {
        if (error)
            *error = tr("The templates would hold more than %1 MiB of text in all, the most the composer keeps; "
                        "delete or shorten some to save this one.")
                         .arg(MaxTotalTemplateChars >> 20);
        return false;
    }
    if (i >= 0)
        m_templates[i] = Template { valid, message };
    else
        m_templates.append(Template { valid, message });
    sortTemplates();
    return true;
}

bool ComposerLibrary::renameTemplate(const QString& from, const QString& to, QString* error)
{
    const int i = indexOf(from);
    if (i < 0) {
        if (error)
            *error = tr("There is no template named \u201c%1\u201d.").arg(from);
        return false;
    }
    const QString valid = validName(to, error);
    if (valid.isEmpty())
        return false;
    if (const int other = indexOf(valid); other >= 0 && other != i) {
        if (error)
            *error = tr("There is already a template named \u201c%1\u201d.").arg(m_templates.at(other).name);
        return false;
    }
    m_templates[i].name = valid;
    sortTemplates();
    return true;
}

bool ComposerLibrary::removeTemplate(const QString& name)
{
    const int i = indexOf(name);
    if (i < 0)
        return false;
    m_templates.removeAt(i);
    return true;
}

bool ComposerLibrary::addToHistory(const ComposerMessage& message)
{
    if (message.text.size() > MaxHistoryTextChars || (!m_history.isEmpty() && m_history.constLast() == message))
        return false;
    m_history.append(message);
    if (m_history.size() > MaxHistory)
        m_history.remove(0, m_history.size() - MaxHistory);
    return true;
}

} // namespace wsi
