#include "exportdialog.h"

#include "uitext.h"

#include <QButtonGroup>
#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QRadioButton>
#include <QStyle>
#include <QVBoxLayout>

namespace wsi {

ExportDialog::ExportDialog(qsizetype sessionCount, qsizetype filteredCount, qsizetype selectedCount, QWidget* parent)
    : QDialog(parent)
{
    setObjectName(QStringLiteral("exportDialog"));
    setWindowTitle(tr("Export Session"));

    m_formatCombo = new QComboBox(this);
    m_formatCombo->setObjectName(QStringLiteral("exportFormatCombo"));
    for (SessionFormat format :
        { SessionFormat::Jsonl, SessionFormat::Har, SessionFormat::Csv, SessionFormat::Text, SessionFormat::Pcap })
        m_formatCombo->addItem(UiText::formatLabel(format), int(format));
    auto* formatHint
        = new QLabel(tr("A file name ending in .jsonl, .har, .csv, .txt or .pcap chooses its format."), this);
    formatHint->setWordWrap(true);
    formatHint->setForegroundRole(QPalette::PlaceholderText);

    m_scopeGroup = new QButtonGroup(this);
    auto* scopes = new QVBoxLayout;
    auto addScope = [&](Scope scope, const char* name, const QString& text, qsizetype count) {
        auto* button = new QRadioButton(tr("%1 (%2)").arg(text, UiText::eventCount(count)), this);
        button->setObjectName(QLatin1String(name));
        m_scopeGroup->addButton(button, int(scope));
        scopes->addWidget(button);
        return button;
    };
    addScope(Scope::Session, "scopeSessionButton", tr("The whole session"), sessionCount)->setChecked(true);
    addScope(Scope::Filtered, "scopeFilteredButton", tr("The rows the timeline shows"), filteredCount);
    QRadioButton* selected = addScope(Scope::Selected, "scopeSelectedButton", tr("The selected rows"), selectedCount);
    selected->setEnabled(selectedCount > 0);
    if (selectedCount == 0)
        selected->setToolTip(tr("Select rows in the timeline first"));

    m_secretsCheck = new QCheckBox(tr("Include &secrets (Authorization, cookies, tokens in URLs)"), this);
    m_secretsCheck->setObjectName(QStringLiteral("includeSecretsCheck"));
    m_secretsCheck->setToolTip(tr("Unticked, their values are replaced by \u201c[redacted]\u201d"));

    // An icon and plain words rather than a colour of our own: readable in light and dark themes alike.
    m_secretsWarning = new QLabel(this);
    m_secretsWarning->setObjectName(QStringLiteral("secretsWarning"));
    auto* warningIcon = new QLabel(this);
    const int iconSize = style()->pixelMetric(QStyle::PM_SmallIconSize, nullptr, this);
    warningIcon->setPixmap(style()->standardIcon(QStyle::SP_MessageBoxWarning, nullptr, this).pixmap(iconSize));
    m_secretsWarning->setText(tr("Anyone who gets this file can use these credentials."));
    m_secretsWarning->setWordWrap(true);
    auto* warningRow = new QWidget(this);
    auto* warningLayout = new QHBoxLayout(warningRow);
    warningLayout->setContentsMargins(0, 0, 0, 0);
    warningLayout->addWidget(warningIcon, 0, Qt::AlignTop);
    warningLayout->addWidget(m_secretsWarning, 1);
    // Its room is kept while hidden: ticking the box must not make the dialog jump.
    QSizePolicy keepRoom = warningRow->sizePolicy();
    keepRoom.setRetainSizeWhenHidden(true);
    warningRow->setSizePolicy(keepRoom);
    warningRow->setVisible(false);
    connect(m_secretsCheck, &QCheckBox::toggled, warningRow, &QWidget::setVisible);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("&Export\u2026"));
    buttons->button(QDialogButtonBox::Ok)->setObjectName(QStringLiteral("exportButton"));
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto* form = new QFormLayout;
    form->addRow(tr("&Format:"), m_formatCombo);
    form->addRow(QString(), formatHint);
    form->addRow(tr("Rows:"), scopes);

    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addSpacing(6);
    layout->addWidget(m_secretsCheck);
    layout->addWidget(warningRow);
    layout->addStretch(1);
    layout->addWidget(buttons);
    // Wide enough for the hint on one line in most fonts.
    setMinimumWidth(fontMetrics().averageCharWidth() * 72);
}

ExportDialog::~ExportDialog() = default;

ExportDialog::Choice ExportDialog::choice() const
{
    Choice c;
    c.format = SessionFormat(m_formatCombo->currentData().toInt());
    c.scope = Scope(m_scopeGroup->checkedId());
    c.includeSecrets = m_secretsCheck->isChecked();
    return c;
}

void ExportDialog::setChoice(const Choice& choice)
{
    m_formatCombo->setCurrentIndex(std::max(0, m_formatCombo->findData(int(choice.format))));
    QAbstractButton* scope = m_scopeGroup->button(int(choice.scope));
    if (!scope || !scope->isEnabled())
        scope = m_scopeGroup->button(int(Scope::Session));
    scope->setChecked(true);
    m_secretsCheck->setChecked(false);
}

} // namespace wsi
