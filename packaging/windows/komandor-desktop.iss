; Inno Setup script for Komandor Desktop (NOT TESTED here: Inno Setup runs on Windows).
; Build the PyInstaller folder first (packaging/windows/README.md), then:
;     iscc packaging\windows\komandor-desktop.iss
; gives dist\komandor-desktop-0.1.0-setup.exe. A per-user install by default (no admin
; rights needed); the profile in %LOCALAPPDATA%\komandor-desktop is never removed.

#define AppName "Komandor Desktop"
#define AppVersion "0.1.0"
#define AppExe "komandor-desktop.exe"
#define Bundle "..\..\build\dist\komandor-desktop"

[Setup]
AppId={{6F2C3E2A-7B0B-4C55-9C1E-5B7E0E4D2A11}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=Komandor
DefaultDirName={autopf}\Komandor Desktop
DefaultGroupName=Komandor
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=komandor-desktop-{#AppVersion}-setup
SetupIconFile=..\..\resources\icons\komandor-desktop.ico
UninstallDisplayIcon={app}\{#AppExe}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern

[Languages]
Name: "russian"; MessagesFile: "compiler:Languages\Russian.isl"
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#Bundle}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{autoprograms}\{#AppName} (demo)"; Filename: "{app}\{#AppExe}"; Parameters: "--demo"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent
