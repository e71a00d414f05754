#pragma once

#include "formats/sessionformat.h"

#include <QDialog>

class QButtonGroup;
class QCheckBox;
class QComboBox;
class QLabel;
class QRadioButton;

namespace wsi {

/*
 * File › Export…: what to export before asking where. The format (the file name's extension decides when it
 * names one), which rows (the whole session, what the filtered timeline shows, or the selected rows), and
 * whether secrets stay in: Authorization and cookie headers and credentials in URLs are redacted unless the
 * user ticks the box, which is never ticked by default and says why it matters once ticked.
 */
class ExportDialog : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ExportDialog)

public:
    enum class Scope {
        Session, // every event, including rows hidden by Clear, and every connection
        Filtered, // the rows the timeline shows
        Selected, // the selected rows
    };
    struct Choice
    {
        SessionFormat format = SessionFormat::Jsonl;
        Scope scope = Scope::Session;
        bool includeSecrets = false;
    };

    // The counts are shown next to each scope; without selected rows that scope cannot be chosen.
    ExportDialog(qsizetype sessionCount, qsizetype filteredCount, qsizetype selectedCount, QWidget* parent = nullptr);
    ~ExportDialog() override;

    Choice choice() const;
    // Preselects a format and scope (a scope that cannot be chosen falls back to the session); secrets stay out.
    void setChoice(const Choice& choice);

private:
    QComboBox* m_formatCombo;
    QButtonGroup* m_scopeGroup;
    QCheckBox* m_secretsCheck;
    QLabel* m_secretsWarning;
};

} // namespace wsi
